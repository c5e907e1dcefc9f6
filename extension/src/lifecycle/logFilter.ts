/**
 * What reaches the Keel output channel from the language client library and the server's stderr.
 * Intended restarts are info, not "[Error] Server process exited with code 0"; library noise
 * (stray "false" lines, pygls' "Cancel notification for unknown message id", EPIPE stack traces
 * during a crash loop) is dropped or cut to its first line, unless `keel.trace.server` asks for
 * everything. Pure: unit-tested on the lines seen in a real VS Code.
 */
export type Level = "info" | "warn" | "error";
export type Verdict = { action: "drop" } | { action: "log"; level: Level; text: string };

const STRAY = /^\s*(true|false|null|undefined)?\s*$/;
const NOISE = [
  /Cancel notification for unknown message id/, /^\s*at\s+\S/, /^\s*\^+\s*$/,
  // The library's own account of a crash loop: the status bar and Keel's own lines tell it once.
  /^Keel client: couldn't create connection to server\.?$/, /^Restarting server failed$/,
  /^Connection to server got closed\. Server will (not )?(be )?restart(ed)?\.?$/,
];
/** The language client's own prefix, "[Error - 6:17:32 AM] ": its level, not the channel's. */
const LIBRARY_PREFIX = /^\[(Error|Warn|Info|Trace|Debug)\s*-\s*[^\]]*\]\s*/;
const LIBRARY_LEVEL: Record<string, Level> = { Error: "error", Warn: "warn", Info: "info", Trace: "info", Debug: "info" };
const CONNECTION_GONE = /\bEPIPE\b|write after end|Pending response rejected since connection got disposed|Connection is disposed/;

/** One line (or message) of the library or the server's stderr, at the level it was logged. */
export function classifyLine(raw: string, level: Level, verbose: boolean): Verdict {
  if (verbose) return { action: "log", level, text: raw };
  const prefix = LIBRARY_PREFIX.exec(raw);
  const text = prefix ? raw.slice(prefix[0].length) : raw;
  if (prefix) level = LIBRARY_LEVEL[prefix[1]!] ?? level;
  if (STRAY.test(text)) return { action: "drop" };
  if (NOISE.some((pattern) => pattern.test(text))) return { action: "drop" };
  const exited = /^Server process exited with code (\d+)\.?$/.exec(text.trim());
  const signalled = /^Server process exited with signal (\w+)\.?$/.exec(text.trim());
  if (signalled) return { action: "log", level: "warn", text: `The Keel server process was stopped by ${signalled[1]}.` };
  if (exited) {
    return exited[1] === "0"
      ? { action: "log", level: "info", text: "The Keel server process exited normally (code 0)." }
      : { action: "log", level: "warn", text: `The Keel server process exited with code ${exited[1]}.` };
  }
  if (CONNECTION_GONE.test(text)) {
    return { action: "log", level: "info", text: "The connection to the Keel server closed while a message was being sent (the server had stopped)." };
  }
  // A multi-line message: its first line; a stack trace is for keel.trace.server.
  const first = text.split("\n").find((line) => line.trim() !== "") ?? text;
  return { action: "log", level, text: first.trimEnd() };
}

/** Chunks of stderr text split into lines and filtered; returns the lines to keep. */
export function filterChunk(chunk: string, verbose: boolean): Array<{ level: Level; text: string }> {
  if (verbose) return chunk.trim() === "" ? [] : [{ level: "info", text: chunk.replace(/\n$/, "") }];
  const kept: Array<{ level: Level; text: string }> = [];
  for (const line of chunk.split("\n")) {
    if (line.trim() === "") continue;
    const verdict = classifyLine(line, "info", false);
    if (verdict.action === "log") kept.push({ level: verdict.level, text: verdict.text });
  }
  return kept;
}
