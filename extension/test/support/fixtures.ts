/** Protocol-shaped fixtures for webview tests (typed by the generated protocol types). */
import type { AnalysisResult, CostEstimate, Finding, RunResult, UsageReport, WorkflowInfo } from "../../src/protocol/keel-protocol";
import type { StatusView } from "../../src/status/statusModel";

export const WORKFLOWS: WorkflowInfo[] = [
  { id: "review", title: "Code review", description: "Static checks then a model review.", profile: "balanced",
    stages: [{ id: "lint", title: "Lint", kind: "static" }, { id: "review", title: "Review", kind: "llm", tier: "capable" }] },
  { id: "security", title: "Security scan", description: "Bandit and a triage.", profile: "critical",
    stages: [{ id: "bandit", title: "Bandit", kind: "static" }] },
];

export function estimate(target: string, expected: number): CostEstimate {
  return {
    workflow: "review", target, files: 1, bytes: 900, inputTokens: 1200, outputTokens: 300,
    usd: { low: expected * 0.5, expected, high: expected * 2 },
    stages: [{ id: "lint", inputTokens: 0, outputTokens: 0, usd: 0 },
      { id: "review", tier: "capable", inputTokens: 1200, outputTokens: 300, usd: expected, ifConfiguredModel: "claude-sonnet-4-5" }],
    method: "heuristic", cachedFiles: 0, durationMs: 4,
    ifConfigured: { provider: "anthropic", usd: { low: 0.01, expected: 0.02, high: 0.04 } },
  };
}

export function finding(id: string, severity: Finding["severity"], rule: string, line: number, fixable = false): Finding {
  return {
    id, rule, title: `${rule} title`, message: `${rule} message`, severity, category: "design",
    uri: "file:///ws/src/smelly.py", range: { start: { line, character: 0 }, end: { line, character: 5 } }, fixable,
  };
}

export function runResult(runId: string, markdown: string): RunResult {
  return {
    runId, workflow: "review", target: "src/smelly.py", status: "partial", deduplicated: false,
    startedAt: "2026-11-26T09:00:00Z", finishedAt: "2026-11-26T09:00:02Z", durationMs: 2100,
    stages: [
      { id: "lint", status: "succeeded", attempts: 1, fallbackUsed: false, inputTokens: 0, outputTokens: 0, usd: 0, durationMs: 100 },
      { id: "review", status: "succeeded", provider: "openai", model: "gpt-4.1", attempts: 3, fallbackUsed: true, inputTokens: 1000, outputTokens: 200, usd: 0.012, durationMs: 1900 },
    ],
    report: { markdown, findings: [finding("f1", "warning", "too-many-params", 3)] },
    cost: { actualUsd: 0.012, baselineUsd: 0.05, savingsUsd: 0.038 },
    degraded: [],
  };
}

export const USAGE: UsageReport = {
  days: 30, runs: 4, succeeded: 3, failed: 0, cancelled: 1, timedOut: 0,
  successRate: 0.75, timeoutRate: 0, fallbackRate: 0.25, retryAmplification: 1.2,
  actualUsd: 0.05, baselineUsd: 0.2, savingsUsd: 0.15,
  byDay: [
    { key: "2026-11-24", runs: 2, succeeded: 2, actualUsd: 0.02, calls: 2, fallbacks: 0, timedOut: 0 },
    { key: "2026-11-25", runs: 1, succeeded: 0, actualUsd: 0.0, calls: 1, fallbacks: 1, timedOut: 0 },
    { key: "2026-11-26", runs: 1, succeeded: 1, actualUsd: 0.03, calls: 2, fallbacks: 0, timedOut: 0 },
  ],
};

export function view(state: StatusView["state"], extra: Partial<StatusView> = {}): StatusView {
  return { state, text: `Keel: ${state}`, summary: `Keel is ${state}`, components: [], actions: [{ title: "Restart server", command: "keel.restartServer" }], ...extra };
}

export function analysis(findings: Finding[]): AnalysisResult {
  return { uri: "file:///ws/src/smelly.py", findings, metrics: { lines: 20, functions: 2, maxComplexity: 7 }, cached: false, durationMs: 12 };
}
