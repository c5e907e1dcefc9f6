import { test } from "node:test";
import assert from "node:assert/strict";
import { RunTracker } from "../../src/webview/runs";

test("a second start of the same workflow and target attaches and never launches another run", async () => {
  let launches = 0;
  let finish!: (v: string) => void;
  const tracker = new RunTracker<string>(() => `id-${launches + 1}`);
  const launch = (id: string): Promise<string> => {
    launches += 1;
    return new Promise((resolve) => { finish = () => resolve(`result ${id}`); });
  };
  const first = tracker.start("review", "src/a.py", launch);
  const second = tracker.start("review", "src/a.py", launch);
  assert.equal(launches, 1);
  assert.equal(first.attached, false);
  assert.equal(second.attached, true);
  assert.equal(second.run.clientRunId, first.run.clientRunId);
  finish("x");
  assert.equal(await second.run.result, "result id-1");
});

test("a different target or workflow is a separate run", () => {
  let launches = 0;
  const tracker = new RunTracker<string>(() => `id-${launches}`);
  const launch = (): Promise<string> => { launches += 1; return new Promise(() => undefined); };
  tracker.start("review", "a.py", launch);
  tracker.start("review", "b.py", launch);
  tracker.start("security", "a.py", launch);
  assert.equal(launches, 3);
  assert.equal(tracker.inFlight().length, 3);
});

test("after a run finishes (or fails) the next start launches a new run", async () => {
  let launches = 0;
  const tracker = new RunTracker<string>(() => `id-${launches}`);
  const failing = (): Promise<string> => { launches += 1; return Promise.reject(new Error("no")); };
  const first = tracker.start("review", "a.py", failing);
  await assert.rejects(first.run.result);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(tracker.inFlight().length, 0);
  tracker.start("review", "a.py", () => { launches += 1; return Promise.resolve("ok"); });
  assert.equal(launches, 2);
});
