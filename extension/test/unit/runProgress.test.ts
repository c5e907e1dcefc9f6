import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunEvent, StageResult } from "../../src/protocol/keel-protocol";
import {
  applyEvent, attemptsText, newProgress, percentOf, runStatusWord, shortRunId, stageNote, summaryLine,
} from "../../src/webview/runProgress";

const RUN = "0f3c9a1e-5b7d-4c2a-9e11-2b8f6d4a7c90";

function event(seq: number, kind: RunEvent["kind"], extra: Partial<RunEvent> & Record<string, unknown> = {}): RunEvent {
  return { runId: RUN, seq, kind, at: "2026-12-05T06:00:00Z", ...extra };
}

test("progress reads as sentences, not an event log; chunk progress moves the summary without adding lines", () => {
  const p = newProgress(RUN, 300_000);
  const t0 = 1_000_000;
  applyEvent(p, event(1, "queued"), t0);
  applyEvent(p, event(2, "started"), t0);
  applyEvent(p, event(3, "stageStarted", { stage: "summary", provider: "chaos", model: "claude-haiku", chunks: 4, chunk: 0 }), t0);
  applyEvent(p, event(4, "progress" as RunEvent["kind"], { stage: "summary", message: "chunk 2 of 4",
    progress: { chunk: 2, chunks: 4, done: 1, calls: 1, retries: 0, fallbacks: 0, inputTokens: 9000, outputTokens: 1200, usd: 0.0123, elapsedMs: 12_000, deadlineMs: 300_000 } }), t0 + 12_000);
  applyEvent(p, event(5, "retrying", { stage: "summary", attempt: 2, message: "429 rate limited" }), t0 + 13_000);
  applyEvent(p, event(6, "fallback", { stage: "summary", provider: "backup", model: "gpt-4.1-mini" }), t0 + 14_000);
  assert.deepEqual(p.lines, [
    "summary: started on chaos (claude-haiku).",
    "summary: retrying (attempt 2): 429 rate limited.",
    "summary: falling back to backup (gpt-4.1-mini).",
  ]);
  assert.equal(summaryLine(p, t0 + 15_000),
    "summary: part 2 of 4 · 10,200 tokens, $0.01 so far · 1 retry · 1 fallback · 15 s of 5 min allowed");
  assert.equal(percentOf(p), 50);
  applyEvent(p, event(7, "stageFinished", { stage: "summary", message: "skipped: no model provider has a key" }), t0 + 16_000);
  assert.equal(p.lines.at(-1), "summary skipped: no model provider has a key.");
  applyEvent(p, event(8, "stageFinished", { stage: "triage", message: "skipped: skipped: the workspace is not trusted" }), t0 + 17_000);
  assert.equal(p.lines.at(-1), "triage skipped: the workspace is not trusted.", "the real server's message, seen in VS Code");
  applyEvent(p, event(9, "stageFinished", { stage: "metrics", message: "succeeded" }), t0 + 17_000);
  assert.equal(p.lines.at(-1), "metrics: done.");
});

test("tokens and cost add up across stages (the server counts per stage); elapsed follows the server's clock", () => {
  const p = newProgress(RUN);
  const at = (elapsedMs: number, inputTokens: number, usd: number) => ({ progress: { chunk: 1, chunks: 1, inputTokens, outputTokens: 0, usd, elapsedMs } });
  applyEvent(p, event(1, "stageStarted", { stage: "a" }), 0);
  applyEvent(p, event(2, "progress" as RunEvent["kind"], { stage: "a", ...at(1000, 100, 0.01) }), 50_000);
  applyEvent(p, event(3, "stageStarted", { stage: "b" }), 50_000);
  applyEvent(p, event(4, "progress" as RunEvent["kind"], { stage: "b", ...at(2000, 50, 0.02) }), 51_000);
  assert.equal(summaryLine(p, 52_000), "b: part 1 of 1 · 150 tokens, $0.03 so far · 3 s elapsed");
});

test("a repeated or older event (seq) and another run's event change nothing", () => {
  const p = newProgress(RUN);
  applyEvent(p, event(2, "stageStarted", { stage: "lint" }), 0);
  applyEvent(p, event(2, "stageStarted", { stage: "lint" }), 0);
  applyEvent(p, event(1, "retrying", { stage: "lint", attempt: 2 }), 0);
  applyEvent(p, { ...event(3, "retrying", { stage: "x" }), runId: "another" }, 0);
  assert.deepEqual(p.lines, ["lint: started."]);
  assert.equal(p.retries, 0);
});

test("hostile event fields (strings where numbers go) are ignored, not shown as NaN", () => {
  const p = newProgress(RUN);
  applyEvent(p, event(1, "stageStarted", { stage: "s", chunk: "2" as unknown as number, chunks: Number.NaN, usd: "lots" as unknown as number }), 0);
  assert.equal(summaryLine(p, 1000), "s · 1 s elapsed");
  assert.equal(percentOf(p), undefined);
});

test("run ids are short; statuses are words; a note does not repeat its status", () => {
  assert.equal(shortRunId(RUN), "0f3c9a1e");
  assert.equal(runStatusWord("partial"), "finished with skipped stages");
  assert.equal(runStatusWord("timedOut"), "timed out");
  assert.equal(stageNote("skipped", "skipped: the workspace is not trusted"), "the workspace is not trusted");
  assert.equal(stageNote("skipped", "skipped: skipped: x"), "x");
  assert.equal(stageNote("succeeded", "ran on the cheap tier: small input"), "ran on the cheap tier: small input");
});

test("model calls say which were retries (calls, chunks and retries from the server)", () => {
  const stage = (calls: number, chunks: number, retries: number): StageResult => ({ id: "s", status: "succeeded", attempts: calls + retries, calls, chunks, retries });
  assert.equal(attemptsText(stage(4, 4, 0)), "4 calls (4 parts, no retries)");
  assert.equal(attemptsText(stage(1, 1, 2)), "1 call (1 part, 2 retries)");
  assert.equal(attemptsText(stage(0, 0, 0)), "–");
});

test("attempts say which were retries (older server: attempts and retries only)", () => {
  const stage = (attempts: number, retries?: number): StageResult => ({ id: "s", status: "succeeded", attempts, ...(retries === undefined ? {} : { retries }) });
  assert.equal(attemptsText(stage(4, 0)), "4 calls, no retries");
  assert.equal(attemptsText(stage(5, 1)), "4 calls, 1 retry");
  assert.equal(attemptsText(stage(4)), "4 calls");
  assert.equal(attemptsText(stage(0)), "–");
});
