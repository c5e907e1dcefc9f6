import { test } from "node:test";
import assert from "node:assert/strict";
import {
  budgetRefusal, CANCEL, dialogContent, OverBudgetCancelled, resendFor, RUN_ANYWAY, runWithinBudget, USE_CHEAP_TIER,
  type BudgetWindow,
} from "../../src/webview/budgetDialog";
import type { RunWorkflowParams } from "../../src/protocol/keel-protocol";

/** What vscode-jsonrpc rejects with for `budget.exceeded` (-32803 + ErrorData). */
function overBudget(extra: Record<string, unknown> = {}): Error & { code: number; data: unknown } {
  const error = new Error("This run may cost up to $0.0420, more than the $0.0100 left of your daily budget.") as
    Error & { code: number; data: unknown };
  error.code = -32803;
  error.data = {
    errorType: "unavailable", transient: false, code: "budget.exceeded", budget: "daily",
    estimateUsd: { low: 0.01, expected: 0.02, high: 0.042 }, limitUsd: 5, leftUsd: 0.01,
    spentUsd: { today: 4.99, month: 20.5 }, onExceed: "ask", canConfirm: true,
    wouldFit: { targetShare: 0.238, cheapTierUsd: 0.008, cheapTier: true }, ...extra,
  };
  return error;
}

class FakeWindow implements BudgetWindow {
  asked: { message: string; detail: string; items: string[] }[] = [];
  constructor(private readonly answer: string | undefined) {}
  showWarningMessage(message: string, options: { modal: boolean; detail: string }, ...items: string[]) {
    assert.equal(options.modal, true);
    this.asked.push({ message, detail: options.detail, items });
    return Promise.resolve(this.answer);
  }
}

const params: RunWorkflowParams = { workflow: "review", target: "src", runId: "r1" };

test("the dialog shows the band, what is left, what was spent and what would fit", () => {
  const refusal = budgetRefusal(overBudget());
  assert.ok(refusal);
  const content = dialogContent(refusal);
  assert.match(content.message, /more than the \$0\.0100 left of your daily budget/);
  assert.match(content.detail, /Estimate: \$0\.0100 – \$0\.0420 \(expected \$0\.0200\)/);
  assert.match(content.detail, /daily budget \$5\.00: \$0\.0100 left/);
  assert.match(content.detail, /Spent today \$4\.99, this month \$20\.50/);
  assert.match(content.detail, /cheap tier: up to \$0\.0080 \(fits\)/);
  assert.match(content.detail, /about 24% of this size would fit/);
  assert.deepEqual(content.choices, [RUN_ANYWAY, USE_CHEAP_TIER]);
});

test("refuse mode offers no Run anyway, and a cheap tier that does not fit is not offered", () => {
  const refusal = budgetRefusal(overBudget({ canConfirm: false, onExceed: "refuse",
    wouldFit: { cheapTierUsd: 0.5, cheapTier: false } }));
  assert.ok(refusal);
  const content = dialogContent(refusal);
  assert.deepEqual(content.choices, []);
  assert.match(content.detail, /does not fit either/);
});

test("other errors are not budget refusals", () => {
  assert.equal(budgetRefusal(new Error("boom")), undefined);
  const other = overBudget();
  (other.data as Record<string, unknown>).code = "budget.unpriced";
  assert.equal(budgetRefusal(other), undefined);
});

test("each choice resends the run as it says, and Cancel resends nothing", () => {
  assert.deepEqual(resendFor(RUN_ANYWAY, params), { ...params, confirmOverBudget: true });
  assert.deepEqual(resendFor(USE_CHEAP_TIER, { ...params, options: { x: 1 } }),
    { ...params, options: { x: 1, tier: "cheap" } });
  assert.equal(resendFor(CANCEL, params), undefined);
  assert.equal(resendFor(undefined, params), undefined);
});

test("Run anyway resends once with confirmOverBudget", async () => {
  const sent: RunWorkflowParams[] = [];
  const window = new FakeWindow(RUN_ANYWAY);
  const result = await runWithinBudget(async (p) => {
    sent.push(p);
    if (!p.confirmOverBudget) throw overBudget();
    return "ran";
  }, params, window);
  assert.equal(result, "ran");
  assert.deepEqual(sent, [params, { ...params, confirmOverBudget: true }]);
  assert.equal(window.asked.length, 1);
});

test("dismissing the dialog starts nothing and says why", async () => {
  let sends = 0;
  await assert.rejects(runWithinBudget(async () => { sends += 1; throw overBudget(); }, params, new FakeWindow(undefined)),
    (error: unknown) => error instanceof OverBudgetCancelled && /^Not started: This run may cost/.test(error.message));
  assert.equal(sends, 1);
});

test("a second refusal is the answer: the user is asked only once", async () => {
  const window = new FakeWindow(USE_CHEAP_TIER);
  let sends = 0;
  await assert.rejects(runWithinBudget(async () => { sends += 1; throw overBudget(); }, params, window),
    (error: unknown) => (error as { data?: { code?: string } }).data?.code === "budget.exceeded");
  assert.equal(sends, 2);
  assert.equal(window.asked.length, 1);
});

test("a run that fits never asks", async () => {
  const window = new FakeWindow(RUN_ANYWAY);
  assert.equal(await runWithinBudget(async () => "ok", params, window), "ok");
  assert.equal(window.asked.length, 0);
});
