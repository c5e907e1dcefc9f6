/* Generated from keel.protocol by 'python -m keel.protocol.generate'. Do not edit. */

/**
 * Keel wire protocol, version 1. Generated; do not edit.
 */
export interface KeelWireProtocol {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AdvisorSettings".
 */
export interface AdvisorSettings {
  diagnostics?: boolean;
  /**
   * gitignore-style patterns, relative to the workspace folder (or the pyproject.toml), of files the advisor does not analyse, e.g. 'tests/'.
   *
   * @maxItems 500
   */
  exclude?: string[];
  maxFileBytes?: number;
  /**
   * Rule id (e.g. 'unused-import') or ruff code (e.g. 'F401') -> false to turn the rule off, true to keep it on.
   */
  rules?: {
    [k: string]: boolean;
  };
  thresholds?: AdvisorThresholds;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AdvisorThresholds".
 */
export interface AdvisorThresholds {
  maxBooleanOperands?: number;
  maxClassLines?: number;
  maxClassMethods?: number;
  maxComplexity?: number;
  maxFunctionLines?: number;
  maxNesting?: number;
  maxParameters?: number;
  maxReturns?: number;
  minDuplicateLines?: number;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Alert".
 */
export interface Alert {
  fix: string;
  key?: string | null;
  level: "warning" | "critical";
  message: string;
  metric: string;
  threshold: number;
  value: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AlertSettings".
 */
export interface AlertSettings {
  configErrorRate?: Threshold;
  fallbackRate?: Threshold;
  historyWriteFailureRate?: Threshold;
  meanTimeToRecoveryMs?: Threshold;
  /**
   * A rate over fewer samples never alerts.
   */
  minSamples?: number;
  requestFailureRate?: Threshold;
  successRate?: FloorThreshold;
  timeoutRate?: Threshold;
  /**
   * Days (UTC, today included) the reliability health component looks at.
   */
  windowDays?: number;
}
/**
 * When a metric where higher is worse alerts: at ``warning``, then at ``critical``.
 *
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Threshold".
 */
export interface Threshold {
  critical: number;
  warning: number;
}
/**
 * When a metric where lower is worse (success rate) alerts: below ``warning``, ``critical``.
 *
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "FloorThreshold".
 */
export interface FloorThreshold {
  critical: number;
  warning: number;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AnalysisMetrics".
 */
export interface AnalysisMetrics {
  classes?: number;
  codeLines?: number;
  functions: number;
  lines: number;
  maxComplexity: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AnalysisResult".
 */
export interface AnalysisResult {
  cached: boolean;
  durationMs: number;
  findings: Finding[];
  metrics: AnalysisMetrics;
  uri: string;
  version?: number | null;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Finding".
 */
export interface Finding {
  category: string;
  /**
   * For a fixable finding: 'safe' when the rule fix keeps what the code does (may be applied without review), 'unsafe' when it deliberately changes behaviour or cannot be proven not to (review before applying).
   */
  fixSafety?: ("safe" | "unsafe") | null;
  fixable?: boolean;
  /**
   * Stable for the same code, across unrelated edits.
   */
  id: string;
  message: string;
  range: Range;
  rationale?: string | null;
  rule: string;
  severity: "info" | "warning" | "error";
  suggestion?: string | null;
  title: string;
  uri: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Range".
 */
export interface Range {
  end: Position;
  start: Position;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Position".
 */
export interface Position {
  character: number;
  line: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AnalyzeParams".
 */
export interface AnalyzeParams {
  /**
   * May only shorten the deadline.
   */
  timeoutMs?: number | null;
  uri: string;
  workDoneToken?: number | string | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "AuthenticateParams".
 */
export interface AuthenticateParams {
  /**
   * The server's token: KEEL_SERVER_TOKEN as the client set it when it started `keel serve --tcp`, or the content of the token file the server named on stderr.
   */
  token: string;
}
/**
 * What is spent and left of each budget that is set (absent: no limit).
 *
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "BudgetLeft".
 */
export interface BudgetLeft {
  dailyUsd?: number | null;
  /**
   * What a new run may spend: the least of the limits left.
   */
  leftForRunUsd?: number | null;
  leftMonthUsd?: number | null;
  leftTodayUsd?: number | null;
  monthlyUsd?: number | null;
  perRunUsd?: number | null;
  /**
   * Held by model calls in flight.
   */
  reservedUsd: number;
  spentMonthUsd: number;
  spentTodayUsd: number;
  [k: string]: unknown;
}
/**
 * Unset = no limit. Days and months follow the local calendar of the server's machine.
 *
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "BudgetSettings".
 */
export interface BudgetSettings {
  dailyUsd?: number | null;
  monthlyUsd?: number | null;
  onExceed?: "ask" | "refuse";
  perRunUsd?: number | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "CancelRunParams".
 */
export interface CancelRunParams {
  /**
   * At most 128 characters of A-Z a-z 0-9 . _ : -
   */
  runId: string;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "CancelRunResult".
 */
export interface CancelRunResult {
  cancelled: boolean;
  status: "running" | "succeeded" | "partial" | "failed" | "cancelled" | "timedOut" | "interrupted";
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "CostEstimate".
 */
export interface CostEstimate {
  /**
   * What is left of the budgets set (budgets.*); absent with none.
   */
  budget?: BudgetLeft | null;
  bytes: number;
  cachedFiles: number;
  /**
   * Tokens of the code read, before prompts.
   */
  codeTokens?: number | null;
  durationMs: number;
  files: number;
  /**
   * Set when LLM stages would be skipped: what they would cost.
   */
  ifConfigured?: IfConfigured | null;
  inputTokens: number;
  method: string;
  outputTokens: number;
  skipped?: SkippedFiles | null;
  skippedFiles?: number;
  stages: StageEstimate[];
  target: string;
  usd: UsdBand;
  workflow: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "IfConfigured".
 */
export interface IfConfigured {
  provider: string;
  usd: UsdBand;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "UsdBand".
 */
export interface UsdBand {
  expected: number;
  high: number;
  low: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "SkippedFiles".
 */
export interface SkippedFiles {
  binary?: number;
  ignored?: number;
  large?: number;
  symlinks?: number;
  unreadable?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StageEstimate".
 */
export interface StageEstimate {
  /**
   * Model calls the stage would make.
   */
  calls?: number | null;
  /**
   * Runs one tier cheaper (small input).
   */
  downgraded?: boolean | null;
  id: string;
  ifConfiguredModel?: string | null;
  /**
   * With no provider able to serve: the price on the reference provider.
   */
  ifConfiguredUsd?: number | null;
  inputTokens: number;
  model?: string | null;
  note?: string | null;
  outputTokens: number;
  /**
   * False: the model's price is a tier default.
   */
  priceKnown?: boolean | null;
  provider?: string | null;
  /**
   * Set when a run would skip this stage, and why (restrictedMode, noProvider).
   */
  skip?: StageSkip | null;
  tier?: ("cheap" | "capable" | "premium") | null;
  usd: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StageSkip".
 */
export interface StageSkip {
  /**
   * The error code behind it: 'trust.untrusted' for restrictedMode, 'provider.none_configured' for noProvider.
   */
  code?: string | null;
  /**
   * One human sentence: why, and what would run it.
   */
  message: string;
  reason: "restrictedMode" | "noProvider" | "noInput" | "noFindings" | "runStopped";
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ErrorData".
 */
export interface ErrorData {
  code: string;
  errorType: "config" | "validation" | "provider" | "timeout" | "cancelled" | "unavailable" | "internal";
  hint?: string | null;
  requestId?: string | number | null;
  retryAfterMs?: number | null;
  runId?: string | null;
  stageId?: string | null;
  transient: boolean;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "EstimateCostParams".
 */
export interface EstimateCostParams {
  target: string;
  /**
   * May only shorten the deadline.
   */
  timeoutMs?: number | null;
  workflow: string;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "EstimatorError".
 */
export interface EstimatorError {
  meanAbsPctError?: number | null;
  meanPctError?: number | null;
  samples: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "FixProposal".
 */
export interface FixProposal {
  edits: TextEdit[];
  explanation: string;
  findingId: string;
  model?: string | null;
  provider?: string | null;
  /**
   * Rule fixes: 'safe' (behaviour preserved; may be applied by default) or 'unsafe' (changes behaviour or cannot be proven not to; apply after review). None for model-proposed fixes, which are never applied without review.
   */
  safety?: ("safe" | "unsafe") | null;
  /**
   * Why the fix is safe or unsafe, in one sentence.
   */
  safetyReason?: string | null;
  source: "rule" | "llm";
  /**
   * Rule fixes: the fix as an action, for a menu ("Remove unused import 'os'", "Narrow bare except to Exception (unsafe)"). None for model-proposed fixes.
   */
  title?: string | null;
  uri: string;
  usd?: number | null;
  version?: number | null;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "TextEdit".
 */
export interface TextEdit {
  newText: string;
  range: Range;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "GenerateFixParams".
 */
export interface GenerateFixParams {
  findingId: string;
  /**
   * May only shorten the deadline.
   */
  timeoutMs?: number | null;
  uri: string;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "HealthComponent".
 */
export interface HealthComponent {
  detail: string;
  fix?: string | null;
  name: string;
  since: string;
  status: "ok" | "degraded" | "down" | "disabled";
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "HealthParams".
 */
export interface HealthParams {
  /**
   * While `keel serve` is still loading, answer at once with a 'starting' report (level degraded); the real one follows as keel/healthChanged once loaded. Without it, the answer waits for the server to load, and is the starting report if 80% of its deadline passes first.
   */
  whileStarting?: boolean;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "HealthReport".
 */
export interface HealthReport {
  components: HealthComponent[];
  inFlight: InFlight;
  level: "healthy" | "degraded" | "unhealthy";
  seq: number;
  /**
   * True in the report `keel serve` gives while it is still loading (health asked with whileStarting); absent once loaded.
   */
  starting?: boolean | null;
  summary: string;
  uptimeMs: number;
  version: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "InFlight".
 */
export interface InFlight {
  byMethod?: {
    [k: string]: number;
  };
  total?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "InitializationOptions".
 */
export interface InitializationOptions {
  clientName?: string | null;
  settings?: {
    [k: string]: unknown;
  } | null;
  workspaceTrusted?: boolean;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ListWorkflowsParams".
 */
export interface ListWorkflowsParams {}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ListWorkflowsResult".
 */
export interface ListWorkflowsResult {
  workflows: WorkflowInfo[];
  /**
   * False in Restricted Mode: model stages will be skipped.
   */
  workspaceTrusted?: boolean;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "WorkflowInfo".
 */
export interface WorkflowInfo {
  description: string;
  id: string;
  profile: "critical" | "balanced" | "tolerant";
  stages: StageInfo[];
  title: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StageInfo".
 */
export interface StageInfo {
  id: string;
  kind: "static" | "llm";
  /**
   * Set when a run started now would skip this stage (restrictedMode in an untrusted workspace).
   */
  skip?: StageSkip | null;
  tier?: ("cheap" | "capable" | "premium") | null;
  title: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ModelsReport".
 */
export interface ModelsReport {
  checks: PreflightCheck[];
  entries: RegistryEntry[];
  ok: boolean;
  registryPath?: string | null;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "PreflightCheck".
 */
export interface PreflightCheck {
  durationMs: number;
  fix?: string | null;
  id: string;
  message: string;
  status: "pass" | "warn" | "fail";
  title: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RegistryEntry".
 */
export interface RegistryEntry {
  checked: string;
  inputUsdPerMtok: number;
  kind: string;
  model: string;
  outputUsdPerMtok: number;
  priceKnown: boolean;
  provider: string;
  source?: "builtin" | "file" | "settings";
  tier: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ModelsSettings".
 */
export interface ModelsSettings {
  registryPath?: string | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "PreflightParams".
 */
export interface PreflightParams {
  network?: boolean;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "PreflightReport".
 */
export interface PreflightReport {
  checks: PreflightCheck[];
  ok: boolean;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ProviderSettings".
 */
export interface ProviderSettings {
  apiKeyEnv?: string | null;
  baseUrl?: string | null;
  id: string;
  kind: "anthropic" | "openai" | "offline";
  models?: TierModels | null;
  /**
   * Sampling temperature sent with every request; unset: not sent (the model's default), and never sent to models that reject it (reasoning models).
   */
  temperature?: number | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "TierModels".
 */
export interface TierModels {
  capable?: string | null;
  cheap?: string | null;
  premium?: string | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ReliabilityMetric".
 */
export interface ReliabilityMetric {
  denominator?: number;
  id: string;
  /**
   * The method or provider, when per-key.
   */
  key?: string | null;
  lowerIsBetter?: boolean;
  met?: boolean | null;
  numerator?: number;
  target: number;
  title: string;
  unit?: "ratio" | "ms";
  /**
   * None: nothing to measure yet.
   */
  value?: number | null;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ReportParams".
 */
export interface ReportParams {
  days?: number;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ReportWarning".
 */
export interface ReportWarning {
  code: string;
  count?: number;
  message: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunCost".
 */
export interface RunCost {
  actualUsd?: number;
  baselineUsd?: number;
  /**
   * Some provider answer carried no usage: actualUsd includes estimated tokens (see the stages).
   */
  costEstimated?: boolean;
  savingsUsd?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunEvent".
 */
export interface RunEvent {
  at: string;
  attempt?: number | null;
  clientRunId?: string | null;
  kind:
    | "queued"
    | "started"
    | "attached"
    | "stageStarted"
    | "retrying"
    | "fallback"
    | "stageFinished"
    | "finished"
    | "progress";
  message?: string | null;
  model?: string | null;
  progress?: StageProgressInfo | null;
  provider?: string | null;
  runId: string;
  seq: number;
  stage?: string | null;
  [k: string]: unknown;
}
/**
 * Where a model stage is, on ``progress``, ``retrying`` and ``fallback`` events.
 *
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StageProgressInfo".
 */
export interface StageProgressInfo {
  calls?: number;
  /**
   * 1-based: the chunk running (or just done).
   */
  chunk: number;
  chunks: number;
  /**
   * The run's whole budget.
   */
  deadlineMs?: number | null;
  /**
   * Chunks finished.
   */
  done?: number;
  /**
   * Since the run started.
   */
  elapsedMs?: number;
  fallbacks?: number;
  inputTokens?: number;
  outputTokens?: number;
  retries?: number;
  usd?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunFindingsParams".
 */
export interface RunFindingsParams {
  limit?: number;
  offset?: number;
  /**
   * At most 128 characters of A-Z a-z 0-9 . _ : -
   */
  runId: string;
  /**
   * May only shorten the deadline.
   */
  timeoutMs?: number | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunFindingsResult".
 */
export interface RunFindingsResult {
  findings: Finding[];
  /**
   * Absent on the last page.
   */
  nextOffset?: number | null;
  offset: number;
  runId: string;
  total: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunReport".
 */
export interface RunReport {
  /**
   * Most severe first; at most 500 (see findingsTotal and truncated).
   */
  findings?: Finding[];
  /**
   * Counts of all the run's findings by severity.
   */
  findingsBySeverity?: {
    [k: string]: number;
  };
  /**
   * How many findings the run produced in all.
   */
  findingsTotal?: number | null;
  markdown: string;
  /**
   * The run status as a human word ("Timed out"), never a code.
   */
  statusText?: string;
  /**
   * One human line: status word, stages, findings, cost ("Partly done: 1 of 2 stages ran (summary skipped: Restricted Mode) · 12 findings in 4 files · $0.00").
   */
  summary?: string;
  /**
   * True when `findings` holds only the first of `findingsTotal`; page the rest with keel/runFindings.
   */
  truncated?: boolean;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunResult".
 */
export interface RunResult {
  cost: RunCost;
  deduplicated?: boolean;
  degraded?: string[];
  durationMs: number;
  error?: ErrorData | null;
  finishedAt?: string | null;
  /**
   * The run's only gaps are model stages skipped by design (restrictedMode, noProvider): not a failure.
   */
  offlineByDesign?: boolean;
  report: RunReport;
  runId: string;
  stages: StageResult[];
  startedAt: string;
  status: "running" | "succeeded" | "partial" | "failed" | "cancelled" | "timedOut" | "interrupted";
  target: string;
  workflow: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StageResult".
 */
export interface StageResult {
  attempts?: number;
  /**
   * Provider calls made (attempts minus answers served from the cache).
   */
  calls?: number;
  /**
   * Chunks the stage's input was split into.
   */
  chunks?: number;
  /**
   * A provider answered without usage: tokens and cost include estimates.
   */
  costEstimated?: boolean;
  durationMs?: number;
  error?: ErrorData | null;
  fallbackUsed?: boolean;
  /**
   * Times the stage moved to the next provider.
   */
  fallbacks?: number;
  id: string;
  inputTokens?: number;
  model?: string | null;
  note?: string | null;
  outputTokens?: number;
  provider?: string | null;
  /**
   * Calls that repeated a failed one.
   */
  retries?: number;
  /**
   * Why the stage was skipped.
   */
  skip?: StageSkip | null;
  status: "succeeded" | "skipped" | "failed" | "cancelled";
  tier?: ("cheap" | "capable" | "premium") | null;
  /**
   * A model answer of this stage stopped at its output limit (stop_reason max_tokens / finish_reason length): its findings may be incomplete.
   */
  truncated?: boolean;
  usd?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunSummary".
 */
export interface RunSummary {
  actualUsd: number;
  durationMs: number;
  runId: string;
  startedAt: string;
  status: "running" | "succeeded" | "partial" | "failed" | "cancelled" | "timedOut" | "interrupted";
  target: string;
  workflow: string;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunWorkflowParams".
 */
export interface RunWorkflowParams {
  /**
   * The user saw budget.exceeded and chose to run anyway.
   */
  confirmOverBudget?: boolean;
  options?: {
    [k: string]: unknown;
  } | null;
  /**
   * The client's own id for this run: at most 128 characters of A-Z a-z 0-9 . _ : -
   */
  runId?: string | null;
  target: string;
  /**
   * May only shorten the deadline.
   */
  timeoutMs?: number | null;
  workDoneToken?: number | string | null;
  workflow: string;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunsParams".
 */
export interface RunsParams {
  limit?: number;
  workflow?: string | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "RunsResult".
 */
export interface RunsResult {
  runs: RunSummary[];
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "Settings".
 */
export interface Settings {
  advisor?: AdvisorSettings;
  alerts?: AlertSettings;
  budgets?: BudgetSettings;
  logLevel?: "debug" | "info" | "warning" | "error";
  models?: ModelsSettings;
  /**
   * @maxItems 32
   */
  providers?: ProviderSettings[];
  storage?: StorageSettings;
  telemetry?: TelemetrySettings;
  timeouts?: TimeoutSettings;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "StorageSettings".
 */
export interface StorageSettings {
  dir?: string | null;
  maxBytes?: number | null;
  retentionDays?: number | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "TelemetrySettings".
 */
export interface TelemetrySettings {
  otlpEndpoint?: string | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "TimeoutSettings".
 */
export interface TimeoutSettings {
  analyzeMs?: number | null;
  cancelRunMs?: number | null;
  estimateCostMs?: number | null;
  generateFixMs?: number | null;
  healthMs?: number | null;
  listWorkflowsMs?: number | null;
  preflightMs?: number | null;
  reportMs?: number | null;
  runFindingsMs?: number | null;
  runWorkflowMs?: number | null;
  runsMs?: number | null;
  validateModelsMs?: number | null;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "UsageBreakdown".
 */
export interface UsageBreakdown {
  actualUsd?: number;
  attempts?: number;
  baselineUsd?: number;
  calls?: number;
  failed?: number;
  fallbacks?: number;
  key: string;
  meanTimeToRecoveryMs?: number | null;
  runs?: number;
  savingsUsd?: number;
  succeeded?: number;
  successRate?: number;
  timedOut?: number;
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "UsageReport".
 */
export interface UsageReport {
  actualUsd: number;
  alerts?: Alert[];
  baselineDefinition?: string | null;
  baselineUsd: number;
  /**
   * Spent against the budgets set (budgets.*); absent with none.
   */
  budget?: BudgetLeft | null;
  byDay?: UsageBreakdown[];
  byProvider?: UsageBreakdown[];
  byWorkflow?: UsageBreakdown[];
  cancelled: number;
  days: number;
  droppedEvents?: number;
  estimator?: EstimatorError | null;
  failed: number;
  fallbackRate: number;
  interrupted?: number;
  meanTimeToRecoveryMs?: number | null;
  metrics?: ReliabilityMetric[];
  /**
   * Of `partial`: runs whose only gaps are model stages skipped by design (Restricted Mode, no provider). They count as successes.
   */
  offlinePartial?: number;
  partial?: number;
  retryAmplification: number;
  running?: number;
  runs: number;
  savingsUsd: number;
  succeeded: number;
  successRate: number;
  timedOut: number;
  timeoutRate: number;
  warnings?: ReportWarning[];
  [k: string]: unknown;
}
/**
 * This interface was referenced by `KeelWireProtocol`'s JSON-Schema
 * via the `definition` "ValidateModelsParams".
 */
export interface ValidateModelsParams {
  /**
   * Also ask each provider with a key which models it serves.
   */
  network?: boolean;
}
