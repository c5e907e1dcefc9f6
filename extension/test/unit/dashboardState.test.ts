import { test } from "node:test";
import assert from "node:assert/strict";
import { newerChoice } from "../../src/webview/dashboardState";

test("after a reload the newer of the webview's and the host's copies wins", () => {
  const stale = { workflow: "review", target: "src/smelly.py", lastRunId: "r1", savedAt: 1000 };
  const fresh = { workflow: "review", target: "src", lastRunId: "r2", savedAt: 2000 };
  // code-server revived the panel with an older webview state (seen in the e2e): the host's copy wins.
  assert.deepEqual(newerChoice(stale, fresh), { choice: fresh, hostWins: true });
  assert.deepEqual(newerChoice(fresh, stale), { choice: fresh, hostWins: false });
  // A webview without state takes the host's; a host without a target keeps the webview's.
  assert.equal(newerChoice({}, fresh).choice.target, "src");
  assert.deepEqual(newerChoice(stale, {}), { choice: stale, hostWins: false });
  // A report the host knows of is not lost when the webview's choice wins without one.
  assert.equal(newerChoice({ target: "src", savedAt: 3000 }, fresh).choice.lastRunId, "r2");
});
