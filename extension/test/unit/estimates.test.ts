import { test } from "node:test";
import assert from "node:assert/strict";
import { LatestOnly } from "../../src/webview/estimates";

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

test("an older answer arriving after a newer one is dropped, and the older request is cancelled", async () => {
  const pending: Array<{ params: string; d: ReturnType<typeof deferred<string>>; cancelled: boolean }> = [];
  const latest = new LatestOnly<string, string>((params, onCancel) => {
    const entry = { params, d: deferred<string>(), cancelled: false };
    onCancel({ cancel: () => { entry.cancelled = true; } });
    pending.push(entry);
    return entry.d.promise;
  });
  const first = latest.request("a");
  const second = latest.request("ab");
  assert.equal(pending[0]?.cancelled, true);
  assert.equal(pending[1]?.cancelled, false);
  pending[1]?.d.resolve("estimate ab");
  pending[0]?.d.resolve("estimate a");
  assert.deepEqual(await second, { kind: "result", seq: 2, value: "estimate ab" });
  assert.deepEqual(await first, { kind: "dropped", seq: 1 });
});

test("a superseded (-32802) or cancelled (-32800) answer is not an error", async () => {
  for (const code of [-32802, -32800]) {
    const latest = new LatestOnly<string, string>(async () => { throw Object.assign(new Error("superseded"), { code }); });
    assert.equal((await latest.request("x")).kind, "dropped");
  }
});

test("a real failure of the newest request is reported with its message", async () => {
  const latest = new LatestOnly<string, string>(async () => {
    throw Object.assign(new Error("target.outside_workspace"), { code: -32602, data: { errorType: "validation", code: "target.outside_workspace", transient: false } });
  });
  const outcome = await latest.request("../x");
  assert.equal(outcome.kind, "error");
  assert.equal(outcome.kind === "error" && outcome.error.kind, "validation");
});

test("a failure of an older request after a newer one started is dropped", async () => {
  const d1 = deferred<string>();
  const d2 = deferred<string>();
  const queue = [d1, d2];
  const latest = new LatestOnly<string, string>(() => queue.shift()!.promise);
  const first = latest.request("a");
  const second = latest.request("b");
  d1.reject(new Error("boom"));
  d2.resolve("b!");
  assert.equal((await first).kind, "dropped");
  assert.equal((await second).kind, "result");
});
