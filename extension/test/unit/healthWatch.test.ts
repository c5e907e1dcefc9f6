import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { HealthWatch } from "../../src/lifecycle/healthWatch";
import type { HealthReport } from "../../src/protocol/keel-protocol";

const report = (seq: number): HealthReport => ({
  level: "healthy", summary: "ok", seq, version: "1", uptimeMs: 1, inFlight: { total: 0 }, components: [],
});

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

test("an unanswered health check marks the server not responding at the deadline, an answer clears it", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const responsive: boolean[] = [];
    const reports: number[] = [];
    let answer: ((r: HealthReport) => void) | undefined;
    let aborted = false;
    const watch = new HealthWatch(
      (signal) => new Promise((resolve) => {
        answer = resolve;
        signal.addEventListener("abort", () => { aborted = true; });
      }),
      (r) => reports.push(r.seq),
      (r) => responsive.push(r),
      { setTimeout, clearTimeout } as never,
      { intervalMs: 10_000, deadlineMs: 5_000 },
    );
    watch.start();
    mock.timers.tick(0);
    await flush();
    mock.timers.tick(4_999);
    assert.deepEqual(responsive, []);
    mock.timers.tick(1);
    assert.deepEqual(responsive, [false]);
    assert.equal(aborted, true);
    answer?.(report(7));
    await flush();
    assert.deepEqual(responsive, [false, true]);
    assert.deepEqual(reports, [7]);
    watch.stop();
  } finally {
    mock.timers.reset();
  }
});

test("polls again after the interval and stops when told", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    let probes = 0;
    const watch = new HealthWatch(
      async () => { probes += 1; return report(probes); },
      () => undefined, () => undefined,
      { setTimeout, clearTimeout } as never,
      { intervalMs: 10_000, deadlineMs: 5_000 },
    );
    watch.start();
    mock.timers.tick(0);
    await flush();
    assert.equal(probes, 1);
    mock.timers.tick(10_000);
    await flush();
    assert.equal(probes, 2);
    watch.stop();
    mock.timers.tick(30_000);
    await flush();
    assert.equal(probes, 2);
  } finally {
    mock.timers.reset();
  }
});

test("a probe that fails quickly (server answered with an error) is not 'not responding'", async () => {
  const responsive: boolean[] = [];
  const watch = new HealthWatch(async () => { throw new Error("boom"); }, () => undefined, (r) => responsive.push(r));
  await watch.check();
  assert.deepEqual(responsive, [true]);
});
