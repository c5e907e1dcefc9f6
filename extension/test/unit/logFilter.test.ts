import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyLine, filterChunk } from "../../src/lifecycle/logFilter";

test("an intended restart's exit is info; a crash's exit code is a warning", () => {
  assert.deepEqual(classifyLine("Server process exited with code 0.", "error", false),
    { action: "log", level: "info", text: "The Keel server process exited normally (code 0)." });
  assert.deepEqual(classifyLine("Server process exited with code 1.", "error", false),
    { action: "log", level: "warn", text: "The Keel server process exited with code 1." });
});

test("library noise is dropped: stray booleans, pygls' unknown cancel, stack frames", () => {
  for (const line of ["false", "  true ", "", "Cancel notification for unknown message id \"17\"", "    at Socket._write (node:net:1:2)"]) {
    assert.deepEqual(classifyLine(line, "info", false), { action: "drop" }, line);
  }
});

test("an EPIPE with its stack trace is one info line; keel.trace.server keeps everything", () => {
  const epipe = "Error: write EPIPE\n    at afterWriteDispatched (node:internal/stream_base_commons:161:15)\n    at writeGeneric (x)";
  const verdict = classifyLine(epipe, "error", false);
  assert.equal(verdict.action, "log");
  if (verdict.action === "log") {
    assert.equal(verdict.level, "info");
    assert.doesNotMatch(verdict.text, /\n|at afterWrite/);
  }
  assert.deepEqual(classifyLine(epipe, "error", true), { action: "log", level: "error", text: epipe });
  assert.deepEqual(classifyLine("false", "info", true), { action: "log", level: "info", text: "false" });
});

test("server stderr chunks are split into lines and filtered; real lines stay", () => {
  const chunk = "false\nWARNING pygls: Cancel notification for unknown message id \"4\"\nkeel: storage is read-only\n";
  assert.deepEqual(filterChunk(chunk, false), [{ level: "info", text: "keel: storage is read-only" }]);
});

test("the language client's own lines lose their '[Error - time]' prefix, keep its level, and crash-loop chatter goes", () => {
  assert.deepEqual(filterChunk([
    "[Error - 6:17:32 AM] Server process exited with signal SIGKILL.",
    "[Info  - 6:17:33 AM] Connection to server got closed. Server will restart.",
    "[Error - 6:17:33 AM] Keel client: couldn't create connection to server.",
    "[Error - 6:17:33 AM] Restarting server failed",
    "[Error - 6:17:41 AM] Connection to server got closed. Server will not be restarted.",
    "[Info  - 6:17:53 AM] The Keel server process exited normally (code 0).",
    "[Error - 6:18:00 AM] Request keel/analyze failed.",
  ].join("\n"), false), [
    { level: "warn", text: "The Keel server process was stopped by SIGKILL." },
    { level: "info", text: "The Keel server process exited normally (code 0)." },
    { level: "error", text: "Request keel/analyze failed." },
  ]);
});
