import { test } from "node:test";
import assert from "node:assert/strict";
import { affectsServer, providerKeyTargets, serverSettings } from "../../src/config";
import { describeError } from "../../src/errors";
import { interpreterCandidates, isSupported, parseVersion } from "../../src/provisioning/interpreter";
import { contentSecurityPolicy, webviewHtml } from "../../src/webview/html";
import { applyTextEdits, disjointFixes } from "../../src/webview/textEdits";

test("settings map to the server's nested shape; unset ones and client-only ones are not sent", () => {
  const values: Record<string, unknown> = {
    "logLevel": "debug", "timeouts.analyzeMs": 2000, "timeouts.healthMs": null, "advisor.thresholds": {},
    "advisor.diagnostics": false, "storage.dir": "", "server.path": "/usr/bin/keel", "python": "/usr/bin/python3",
  };
  assert.deepEqual(serverSettings((key) => values[key]), {
    logLevel: "debug", timeouts: { analyzeMs: 2000 }, advisor: { diagnostics: false },
  });
});

test("a change of interpreter or server path restarts; a server setting is sent; others are ignored", () => {
  assert.equal(affectsServer((s) => s === "keel.python"), "restart");
  assert.equal(affectsServer((s) => s === "keel.timeouts.analyzeMs"), "notify");
  assert.equal(affectsServer((s) => s === "editor.fontSize"), "none");
});

test("each provider's key goes into the variable its settings name", () => {
  assert.deepEqual(providerKeyTargets({}).map((t) => t.envVar), ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
  assert.deepEqual(providerKeyTargets({ providers: [
    { id: "chaos", kind: "anthropic", apiKeyEnv: "CHAOS_KEY" }, { id: "local", kind: "offline" }] }),
  [{ providerId: "chaos", kind: "anthropic", envVar: "CHAOS_KEY" }]);
});

test("errors are told apart: cancelled, superseded, timeout, validation, failed", () => {
  assert.equal(describeError({ name: "Canceled", message: "Canceled" }).kind, "cancelled");
  assert.equal(describeError({ code: -32800, message: "x" }).kind, "cancelled");
  assert.equal(describeError({ code: -32802, message: "x" }).kind, "superseded");
  assert.equal(describeError({ code: -32803, message: "deadline", data: { errorType: "timeout", code: "deadline", transient: true } }).kind, "timeout");
  assert.equal(describeError({ code: -32602, message: "bad" }).kind, "validation");
  assert.equal(describeError(new Error("boom")).message, "boom");
  assert.equal(describeError("weird").kind, "failed");
});

test("interpreter order: setting alone, else Python extension then python3; version ≥ 3.11", () => {
  assert.deepEqual(interpreterCandidates("/opt/py", "/ext/py").map((c) => c.path), ["/opt/py"]);
  assert.deepEqual(interpreterCandidates("", "/ext/py").map((c) => c.source), ["Python extension", "PATH"]);
  assert.deepEqual(interpreterCandidates(undefined, undefined).map((c) => c.path), ["python3"]);
  // Untrusted: the Python extension may have picked the repository's own .venv/bin/python.
  assert.deepEqual(interpreterCandidates(undefined, "/repo/.venv/bin/python", false).map((c) => c.path), ["python3"]);
  assert.deepEqual(parseVersion("3 12 1\n"), [3, 12, 1]);
  assert.equal(parseVersion("Python 3.12"), undefined);
  assert.equal(isSupported([3, 11, 0]), true);
  assert.equal(isSupported([3, 10, 14]), false);
  assert.equal(isSupported([4, 0, 0]), true);
});

test("the webview shell has a nonce CSP that allows nothing remote and no inline script", () => {
  const csp = contentSecurityPolicy("vscode-webview://abc", "N0NCE");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0NCE'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  const html = webviewHtml({ title: "t", cspSource: "vscode-webview://abc", scriptUri: "vscode-webview://abc/d.js", styleUri: "vscode-webview://abc/s.css", nonce: "N0NCE" });
  assert.match(html, /<script nonce="N0NCE" src="vscode-webview:\/\/abc\/d\.js"><\/script>/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});

test("text edits apply from the end so earlier offsets stay valid", () => {
  const text = "ab\ncd\n";
  const lines = text.split("\n");
  const offsetAt = (p: { line: number; character: number }): number =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const out = applyTextEdits(text, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, newText: "A" },
    { range: { start: { line: 1, character: 1 }, end: { line: 1, character: 2 } }, newText: "DD" },
  ], offsetAt);
  assert.equal(out, "Ab\ncDD\n");
});

test("Fix All Safe keeps fixes whose edits do not overlap; an overlapping one waits for a second pass", () => {
  const edit = (l1: number, c1: number, l2: number, c2: number) => ({ range: { start: { line: l1, character: c1 }, end: { line: l2, character: c2 } }, newText: "" });
  const a = { id: "a", edits: [edit(0, 0, 1, 0)] };
  const b = { id: "b", edits: [edit(0, 5, 0, 9)] };     // inside a
  const c = { id: "c", edits: [edit(1, 0, 2, 0)] };     // touches a's end only
  const d = { id: "d", edits: [edit(5, 0, 5, 0)] };
  const e = { id: "e", edits: [edit(5, 0, 5, 0)] };     // an insert at the same point as d
  const { kept, skipped } = disjointFixes([a, b, c, d, e]);
  assert.deepEqual(kept.map((f) => f.id), ["a", "c", "d"]);
  assert.deepEqual(skipped.map((f) => f.id), ["b", "e"]);
});
