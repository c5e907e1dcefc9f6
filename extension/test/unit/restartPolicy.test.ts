import { test } from "node:test";
import assert from "node:assert/strict";
import { RestartPolicy } from "../../src/lifecycle/restartPolicy";

const options = { maxCrashes: 3, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 1_500 };

test("restarts with a doubling delay capped at the maximum", () => {
  const policy = new RestartPolicy(options);
  assert.deepEqual(policy.onCrash(0), { action: "restart", delayMs: 500, crashes: 1 });
  assert.deepEqual(policy.onCrash(1_000), { action: "restart", delayMs: 1_000, crashes: 2 });
  assert.deepEqual(policy.onCrash(2_000), { action: "restart", delayMs: 1_500, crashes: 3 });
});

test("stops after more than maxCrashes inside the window", () => {
  const policy = new RestartPolicy(options);
  for (const at of [0, 10, 20]) assert.equal(policy.onCrash(at).action, "restart");
  assert.deepEqual(policy.onCrash(30), { action: "stop", crashes: 4 });
});

test("crashes older than the window are forgotten", () => {
  const policy = new RestartPolicy(options);
  for (const at of [0, 10, 20]) policy.onCrash(at);
  const decision = policy.onCrash(70_000);
  assert.deepEqual(decision, { action: "restart", delayMs: 500, crashes: 1 });
});

test("a manual restart resets the count", () => {
  const policy = new RestartPolicy(options);
  for (const at of [0, 10, 20]) policy.onCrash(at);
  policy.reset();
  assert.equal(policy.onCrash(30).action, "restart");
});
