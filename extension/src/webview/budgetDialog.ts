/**
 * When `keel/runWorkflow` answers `budget.exceeded`: a modal with the figures (estimate band,
 * what is left, spent so far, what would fit) and the choices the server allows: Run anyway
 * (resent with `confirmOverBudget`; the server still stops model calls at the budget), Use
 * cheap tier (resent with `options.tier = "cheap"`, offered when that fits) and Cancel.
 * Free of `vscode` so the logic is unit-tested; the host passes `vscode.window`.
 */
import type { RunWorkflowParams } from "../protocol/keel-protocol";
import { describeError } from "../errors";

export const RUN_ANYWAY = "Run anyway";
export const USE_CHEAP_TIER = "Use cheap tier";
export const CANCEL = "Cancel";
export type BudgetChoice = typeof RUN_ANYWAY | typeof USE_CHEAP_TIER | typeof CANCEL;

/** The figures of a `budget.exceeded` error's data (see docs/protocol.md). */
export interface BudgetRefusal {
  message: string;
  budget: string;
  estimate: { low?: number; expected?: number; high?: number };
  limitUsd?: number;
  leftUsd?: number;
  spentTodayUsd?: number;
  spentMonthUsd?: number;
  canConfirm: boolean;
  cheapTierUsd?: number;
  cheapTierFits: boolean;
  targetShare?: number;
}

export interface DialogContent {
  message: string;
  detail: string;
  choices: BudgetChoice[];
}

/** Structural slice of `vscode.window` the dialog uses. */
export interface BudgetWindow {
  showWarningMessage(message: string, options: { modal: boolean; detail: string },
    ...items: string[]): PromiseLike<string | undefined>;
}

const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const obj = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null ? value as Record<string, unknown> : {});

/** The refusal inside a request error, or undefined for any other error. */
export function budgetRefusal(error: unknown): BudgetRefusal | undefined {
  const described = describeError(error);
  const data = obj(described.data);
  if (data.code !== "budget.exceeded" || data.estimateUsd === undefined) return undefined;
  const estimate = obj(data.estimateUsd);
  const spent = obj(data.spentUsd);
  const fit = obj(data.wouldFit);
  return {
    message: described.message,
    budget: typeof data.budget === "string" ? data.budget : "budget",
    estimate: { low: num(estimate.low), expected: num(estimate.expected), high: num(estimate.high) },
    limitUsd: num(data.limitUsd), leftUsd: num(data.leftUsd),
    spentTodayUsd: num(spent.today), spentMonthUsd: num(spent.month),
    canConfirm: data.canConfirm === true,
    cheapTierUsd: num(fit.cheapTierUsd), cheapTierFits: fit.cheapTier === true,
    targetShare: num(fit.targetShare),
  };
}

export function usd(value: number | undefined): string {
  if (value === undefined) return "?";
  if (value === 0 || value >= 1) return `$${value.toFixed(2)}`;
  return value >= 0.0001 ? `$${value.toFixed(4)}` : `$${value.toFixed(6)}`;
}

const LABELS: Record<string, string> = { perRun: "per-run", daily: "daily", monthly: "monthly" };

export function dialogContent(refusal: BudgetRefusal): DialogContent {
  const { estimate } = refusal;
  const lines = [
    `Estimate: ${usd(estimate.low)} – ${usd(estimate.high)} (expected ${usd(estimate.expected)}).`,
    `${LABELS[refusal.budget] ?? refusal.budget} budget ${usd(refusal.limitUsd)}: ${usd(refusal.leftUsd)} left.`,
    `Spent today ${usd(refusal.spentTodayUsd)}, this month ${usd(refusal.spentMonthUsd)}.`,
  ];
  if (refusal.cheapTierUsd !== undefined) {
    lines.push(`On the cheap tier: up to ${usd(refusal.cheapTierUsd)}${refusal.cheapTierFits ? " (fits)." : " (does not fit either)."}`);
  }
  if (refusal.targetShare !== undefined && refusal.targetShare < 1) {
    lines.push(`A target about ${Math.round(refusal.targetShare * 100)}% of this size would fit.`);
  }
  if (refusal.canConfirm) lines.push("Run anyway still stops model calls at the budget: the run may end partial.");
  const choices: BudgetChoice[] = [];
  if (refusal.canConfirm) choices.push(RUN_ANYWAY);
  if (refusal.cheapTierFits) choices.push(USE_CHEAP_TIER);
  return { message: refusal.message, detail: lines.join("\n"), choices };
}

/** The request to resend for a choice; undefined when the user cancelled. */
export function resendFor(choice: string | undefined, params: RunWorkflowParams): RunWorkflowParams | undefined {
  if (choice === RUN_ANYWAY) return { ...params, confirmOverBudget: true };
  if (choice === USE_CHEAP_TIER) return { ...params, options: { ...(params.options ?? {}), tier: "cheap" } };
  return undefined;
}

export class OverBudgetCancelled extends Error {
  constructor(refusal: BudgetRefusal) {
    super(`Not started: ${refusal.message}`);
    this.name = "OverBudgetCancelled";
  }
}

/**
 * Sends the run; on `budget.exceeded` asks once and resends as chosen (a second refusal, e.g.
 * the cheap tier no longer fits, is the answer). Cancel rejects with `OverBudgetCancelled`.
 */
export async function runWithinBudget<T>(send: (params: RunWorkflowParams) => Promise<T>,
  params: RunWorkflowParams, window: BudgetWindow): Promise<T> {
  try {
    return await send(params);
  } catch (error) {
    const refusal = budgetRefusal(error);
    if (!refusal) throw error;
    const content = dialogContent(refusal);
    const choice = await window.showWarningMessage(content.message, { modal: true, detail: content.detail },
      ...content.choices);
    const again = resendFor(choice, params);
    if (!again) throw new OverBudgetCancelled(refusal);
    return send(again);
  }
}
