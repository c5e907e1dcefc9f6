/**
 * A run's live progress as people read it, from keel/runEvent notifications: one line per thing
 * that happened (not the raw event log), and one summary line that moves inside a model stage
 * (chunk i of n, tokens and cost so far, retries and fallbacks, elapsed against the deadline).
 * Pure (no vscode, no DOM): the dashboard draws it and the host's progress notification shows its
 * summary; unit tests drive it with events.
 */
import type { RunEvent, RunResult, StageResult } from "../protocol/keel-protocol";
import { num, obj, WIRE } from "./wire";

export interface RunProgress {
  runId: string;
  stage?: string;
  chunk?: number;
  chunks?: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  /** Tokens and cost of the stages already finished (the server counts per stage). */
  banked: { inputTokens: number; outputTokens: number; usd: number };
  retries: number;
  fallbacks: number;
  startedAt?: number;
  /** The latest elapsed time the server reported, and when (client clock) it was received. */
  deadlineMs?: number;
  lines: string[];
  lastSeq: number;
}

export function newProgress(runId: string, deadlineMs?: number): RunProgress {
  return { runId, inputTokens: 0, outputTokens: 0, usd: 0, banked: { inputTokens: 0, outputTokens: 0, usd: 0 },
    retries: 0, fallbacks: 0, lines: [], lastSeq: -1,
    ...(deadlineMs ? { deadlineMs } : {}) };
}

/** The first 8 characters of a run id: enough to tell runs apart, short enough to read. */
export function shortRunId(runId: string): string {
  return runId.length > 8 ? runId.slice(0, 8) : runId;
}

const RUN_STATUS: Record<RunResult["status"], string> = {
  running: "running", succeeded: "succeeded", partial: "finished with skipped stages", failed: "failed",
  cancelled: "cancelled", timedOut: "timed out", interrupted: "interrupted (Keel stopped during the run)",
};
const STAGE_STATUS: Record<StageResult["status"], string> = {
  succeeded: "done", skipped: "skipped", failed: "failed", cancelled: "cancelled",
};

export function runStatusWord(status: string): string {
  return RUN_STATUS[status as RunResult["status"]] ?? status;
}

export function stageStatusWord(status: string): string {
  return STAGE_STATUS[status as StageResult["status"]] ?? status;
}

/** A stage's note without the status the table already shows ("skipped: skipped: …" read twice). */
export function stageNote(status: string, note: string | null | undefined): string {
  if (!note) return "";
  const prefix = new RegExp(`^(${status}|${stageStatusWord(status)})\\s*:\\s*`, "i");
  let text = note;
  while (prefix.test(text)) text = text.replace(prefix, "");
  return text;
}

/** "4 calls (4 parts, no retries)": which attempts were retries (the first attempt of each model call is not). */
export function attemptsText(stage: StageResult): string {
  const attempts = stage.attempts ?? 0;
  const retries = num(stage, WIRE.stage.retries);
  const calls = num(stage, WIRE.stage.calls);
  const chunks = num(stage, WIRE.stage.chunks);
  if (calls !== undefined && retries !== undefined) {
    if (!calls) return "–";
    const parts = [chunks ? `${chunks} part${chunks === 1 ? "" : "s"}` : "", `${retries ? retries : "no"} ${retries === 1 ? "retry" : "retries"}`].filter(Boolean);
    return `${calls} call${calls === 1 ? "" : "s"} (${parts.join(", ")})`;
  }
  if (retries === undefined) return attempts ? `${attempts} call${attempts === 1 ? "" : "s"}` : "–";
  const first = Math.max(attempts - retries, 0);
  return `${first} call${first === 1 ? "" : "s"}${retries ? `, ${retries} ${retries === 1 ? "retry" : "retries"}` : ", no retries"}`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Applies one event (in order; a repeated or older seq is ignored). Returns the same object. */
export function applyEvent(progress: RunProgress, event: RunEvent, receivedAt: number): RunProgress {
  if (event.runId !== progress.runId && event.clientRunId !== progress.runId) return progress;
  if (event.seq <= progress.lastSeq) return progress;
  progress.lastSeq = event.seq;
  progress.startedAt ??= receivedAt;
  const stage = event.stage ?? progress.stage;
  const detail = event.message ? `: ${event.message}` : "";
  // The figures come in `progress` (StageProgressInfo); an older shape had them on the event.
  const info = obj(event, WIRE.event.progress) ?? event;
  const deadline = num(info, WIRE.event.deadlineMs);
  if (deadline) progress.deadlineMs = deadline;
  const elapsed = num(info, WIRE.event.elapsedMs);
  // The server's elapsed time counts from the run's real start (queued time included).
  if (elapsed !== undefined) progress.startedAt = receivedAt - elapsed;
  const chunk = num(info, WIRE.event.chunk);
  const chunks = num(info, WIRE.event.chunks);
  if (event.kind === "stageStarted" && stage !== progress.stage) {
    progress.banked = { inputTokens: progress.banked.inputTokens + progress.inputTokens,
      outputTokens: progress.banked.outputTokens + progress.outputTokens, usd: progress.banked.usd + progress.usd };
    progress.inputTokens = 0;
    progress.outputTokens = 0;
    progress.usd = 0;
  }
  progress.inputTokens = num(info, WIRE.event.inputTokens) ?? progress.inputTokens;
  progress.outputTokens = num(info, WIRE.event.outputTokens) ?? progress.outputTokens;
  progress.usd = num(info, WIRE.event.usd) ?? progress.usd;
  switch (event.kind) {
    case "queued":
    case "started":
    case "attached":
      break;
    case "stageStarted":
      progress.stage = stage ?? undefined;
      progress.chunk = chunk;
      progress.chunks = chunks;
      progress.lines.push(sentence(`${stage}: started${event.provider ? ` on ${event.provider}${event.model ? ` (${event.model})` : ""}` : ""}`));
      break;
    case "retrying":
      progress.retries += 1;
      progress.lines.push(sentence(`${stage}: retrying (attempt ${event.attempt ?? "?"})${detail}`));
      break;
    case "fallback":
      progress.fallbacks += 1;
      progress.lines.push(sentence(`${stage}: falling back to ${event.provider ?? "another provider"}${event.model ? ` (${event.model})` : ""}${detail}`));
      break;
    case "stageFinished":
      progress.chunk = undefined;
      progress.chunks = undefined;
      progress.lines.push(sentence(finishedLine(stage ?? "stage", event.message)));
      break;
    case "finished":
      progress.stage = undefined;
      break;
    default:
      // A kind this client does not know (e.g. chunk progress): it moves the summary, adds no line.
      if (chunk !== undefined) progress.chunk = chunk;
      if (chunks !== undefined) progress.chunks = chunks;
      if (stage) progress.stage = stage;
  }
  if (chunk !== undefined) progress.chunk = chunk;
  if (chunks !== undefined) progress.chunks = chunks;
  return progress;
}

/** "summary skipped: no key" from a message that may start with the stage's status. */
function finishedLine(stage: string, message: string | null | undefined): string {
  if (!message) return `${stage}: done`;
  if (/^(succeeded|finished|done)$/i.test(message.trim())) return `${stage}: done`;
  const status = /^(succeeded|skipped|failed|cancelled|finished|done)\s*:\s*(.*)$/i.exec(message);
  if (!status) return `${stage}: ${message}`;
  // "skipped: skipped: …" (the status, then a note that starts with it again) reads once.
  const word = status[1]!.toLowerCase();
  return `${stage} ${stageStatusWord(word)}: ${stageNote(word, status[2]!)}`;
}

function seconds(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const rest = Math.round((ms % 60_000) / 1000);
  return `${Math.floor(ms / 60_000)} min${rest ? ` ${rest} s` : ""}`;
}

function money(usd: number): string {
  return usd === 0 ? "$0" : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** One line that moves while the run does: where it is, what it cost so far, time against the deadline. */
export function summaryLine(progress: RunProgress, now: number): string {
  const parts: string[] = [];
  if (progress.stage) {
    parts.push(progress.chunks && progress.chunk !== undefined
      ? `${progress.stage}: part ${progress.chunk} of ${progress.chunks}`
      : `${progress.stage}`);
  } else {
    parts.push("starting");
  }
  const tokens = progress.banked.inputTokens + progress.banked.outputTokens + progress.inputTokens + progress.outputTokens;
  if (tokens) parts.push(`${tokens.toLocaleString("en-US")} tokens, ${money(progress.banked.usd + progress.usd)} so far`);
  if (progress.retries) parts.push(`${progress.retries} ${progress.retries === 1 ? "retry" : "retries"}`);
  if (progress.fallbacks) parts.push(`${progress.fallbacks} fallback${progress.fallbacks === 1 ? "" : "s"}`);
  if (progress.startedAt !== undefined) {
    const elapsed = Math.max(now - progress.startedAt, 0);
    parts.push(progress.deadlineMs ? `${seconds(elapsed)} of ${seconds(progress.deadlineMs)} allowed` : `${seconds(elapsed)} elapsed`);
  }
  return parts.join(" · ");
}

/** 0–100 for a progress bar, when the server says how many parts a stage has. */
export function percentOf(progress: RunProgress): number | undefined {
  if (!progress.chunks || progress.chunk === undefined) return undefined;
  return Math.round((Math.min(progress.chunk, progress.chunks) / progress.chunks) * 100);
}
