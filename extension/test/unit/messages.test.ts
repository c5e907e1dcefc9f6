import { test } from "node:test";
import assert from "node:assert/strict";
import { AdvisorMessage, DashboardMessage, parseMessage } from "../../src/webview/messages";

test("well-formed dashboard messages pass", () => {
  for (const message of [
    { type: "ready" },
    { type: "estimate", workflow: "review", target: "src/a.py" },
    { type: "run", workflow: "review", target: "." },
    { type: "cancelRun", runId: "r1" },
    { type: "reveal", uri: "file:///w/a.py", range: { start: { line: 0, character: 0 }, end: { line: 1, character: 2 } } },
    { type: "command", command: "keel.restartServer" },
    { type: "command", command: "workbench.trust.manage" },
    { type: "command", command: "keel.fixAllSafe" },
    { type: "ready", workflow: "review", target: "src/requests", lastRunId: "r1" },
    { type: "moreFindings", runId: "r1", offset: 500 },
  ]) {
    assert.equal(parseMessage(DashboardMessage, message).ok, true, JSON.stringify(message));
  }
});

test("bad messages are refused with the field that was wrong", () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ type: "run", workflow: "", target: "." }, /^workflow:/],
    [{ type: "run", workflow: "review" }, /^target:/],
    [{ type: "run", workflow: "review", target: ".", extra: 1 }, /message|Unrecognized/],
    [{ type: "command", command: "workbench.action.terminal.sendSequence" }, /^command:/],
    [{ type: "reveal", uri: "https://evil.example/x", range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }, /^uri: must be a file:\/\/ URI/],
    [{ type: "reveal", uri: "file:///a", range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } }, /^range\.start\.line:/],
    [{ type: "rm -rf" }, /^type:/],
    [{ type: "moreFindings", runId: "r1", offset: -1 }, /^offset:/],
    [{ type: "ready", target: "" }, /^target:/],
    [{ type: "command", command: "workbench.action.trust.manage.evil" }, /^command:/],
    ["ready", /message|type/],
    [null, /message|type/],
  ];
  for (const [raw, error] of cases) {
    const outcome = parseMessage(DashboardMessage, raw);
    assert.equal(outcome.ok, false, JSON.stringify(raw));
    if (!outcome.ok) assert.match(outcome.error, error, JSON.stringify(raw));
  }
});

test("advisor messages carry finding ids only; no uri or edits from the webview", () => {
  assert.equal(parseMessage(AdvisorMessage, { type: "applyFix", findingId: "f1" }).ok, true);
  assert.equal(parseMessage(AdvisorMessage, { type: "applyFix", findingId: "f1", edits: [] }).ok, false);
  assert.equal(parseMessage(AdvisorMessage, { type: "analyze", uri: "file:///etc/passwd" }).ok, false);
});
