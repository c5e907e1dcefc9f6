/** The dashboard webview: draws what the host sends; every click becomes one validated message. */
import type { CostEstimate, RunSummary, WorkflowInfo } from "../src/protocol/keel-protocol";
import type { DashboardUpdate } from "../src/webview/messages";
import { applyEvent, newProgress, runStatusWord, shortRunId, summaryLine, type RunProgress } from "../src/webview/runProgress";
import { skipOf, WIRE } from "../src/webview/wire";
import { h, onMessage, renderBanner, replace, usd, vscode } from "./common";
import { addFindings, clearReport, currentReportRunId, renderReport, trustButton } from "./report";
import { renderUsage } from "./usage";

const ESTIMATE_DEBOUNCE_MS = 300;
const TICK_MS = 1000;

interface Saved {
  workflow?: string;
  target?: string;
  /** The report on screen, shown again after a reload. */
  lastRunId?: string;
  savedAt?: number;
}

const saved = (vscode.getState() as Saved | undefined) ?? {};
let workflows: WorkflowInfo[] = [];
let workflow = saved.workflow ?? "";
let target = saved.target ?? "";
let lastRunId = saved.lastRunId;
let trusted = true;
/** Why Run cannot go ahead for the target typed (undefined: it can, or not checked yet). */
let targetProblem: string | undefined;
let currentRun: { runId: string; workflow: string; target: string } | undefined;
let progress: RunProgress | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;
let estimateTimer: ReturnType<typeof setTimeout> | undefined;
let estimateFor = "";

const app = document.getElementById("app") as HTMLElement;
const banner = h("div", { id: "banner", class: "banner", role: "alert", hidden: true });
const errorBox = h("div", { id: "error", class: "error", role: "alert", hidden: true });
const workflowSelect = h("select", { id: "workflow", "aria-label": "Workflow" });
const workflowInfo = h("div", { id: "workflow-info", class: "muted" });
const targetInput = h("input", { id: "target", type: "text", "aria-label": "Target", placeholder: "path relative to the workspace" });
const targetLabel = h("span", { id: "target-label", class: "muted" });
const PICK_FOR_ESTIMATE = "Pick a workflow and a target to see its cost.";
const estimateBox = h("div", { id: "estimate", class: "estimate" }, PICK_FOR_ESTIMATE);
const runButton = h("button", { id: "run", type: "button" }, "Run");
const runReason = h("span", { id: "run-reason", class: "muted" });
const skipNote = h("div", { id: "skip-note", class: "skip-note", hidden: true });
const progressSummary = h("div", { id: "progress-summary", class: "progress-summary", hidden: true });
const cancelButton = h("button", { id: "cancel", type: "button", class: "secondary", hidden: true }, "Cancel");
const runStatus = h("div", { id: "run-status", role: "status" });
const progressList = h("ol", { id: "progress", class: "progress" });
const reportBox = h("section", { id: "report", class: "report", hidden: true });
const runsList = h("ul", { id: "runs", class: "runs" });
const usageBox = h("div", { id: "usage", class: "usage" });

function pickButton(id: string, kind: string, label: string): HTMLButtonElement {
  const button = h("button", { id, type: "button", class: "secondary" }, label);
  button.addEventListener("click", () => vscode.postMessage({ type: "pickTarget", kind }));
  return button;
}

replace(app,
  banner,
  h("h1", {}, "Keel"),
  errorBox,
  h("section", { class: "card" },
    h("h2", {}, "Workflow"), workflowSelect, workflowInfo,
    h("h2", {}, "Target"),
    h("div", { class: "row" }, targetInput,
      pickButton("pick-file", "file", "Current file"), pickButton("pick-folder", "folder", "Folder…"),
      pickButton("pick-workspace", "workspace", "Workspace")),
    targetLabel,
    h("h2", {}, "Estimate"), estimateBox,
    skipNote,
    h("div", { class: "row" }, runButton, cancelButton, runReason), runStatus, progressSummary, progressList),
  reportBox,
  h("section", { class: "card" }, h("h2", {}, "Recent runs"), runsList),
  h("section", { class: "card" }, h("h2", {}, "Usage and reliability (30 days)"), usageBox),
);

function save(): void {
  vscode.setState({ workflow, target, ...(lastRunId ? { lastRunId } : {}), savedAt: Date.now() } satisfies Saved);
}

function scheduleEstimate(): void {
  if (estimateTimer) clearTimeout(estimateTimer);
  if (!workflow || !target) return;
  // Both are picked: until the first estimate comes, say it is coming, not what to pick.
  if (estimateBox.textContent === PICK_FOR_ESTIMATE) replace(estimateBox, h("span", { class: "muted" }, "Estimating…"));
  estimateTimer = setTimeout(() => {
    estimateFor = JSON.stringify([workflow, target]);
    estimateBox.classList.add("stale");
    vscode.postMessage({ type: "estimate", workflow, target });
  }, ESTIMATE_DEBOUNCE_MS);
}

function updateRunButton(): void {
  const inFlight = currentRun !== undefined && currentRun.workflow === workflow && currentRun.target === target;
  const reason = !workflow ? "Pick a workflow." : !target ? "Give a target: a file or folder in the workspace." : targetProblem;
  runButton.disabled = reason !== undefined || inFlight;
  runButton.title = reason ?? "";
  runReason.textContent = inFlight ? "" : reason ?? "";
  runButton.textContent = inFlight ? "Running…" : "Run";
  cancelButton.hidden = currentRun === undefined;
}

/**
 * Before Run: which stages will be skipped, and why. The server says so per stage (`skip` on
 * listWorkflows and estimateCost); an older server does not, and then trust and the estimate's
 * "offline now" tell the same thing.
 */
function renderSkipNote(estimate?: CostEstimate): void {
  const info = workflows.find((w) => w.id === workflow);
  const modelStages = info?.stages.filter((s) => s.kind === "llm") ?? [];
  const fromServer = [
    ...(estimate?.workflow === workflow ? estimate.stages.map((s) => ({ id: s.id, skip: skipOf(s) })) : []),
    ...(info?.stages ?? []).map((s) => ({ id: s.title, skip: skipOf(s) })),
  ].filter((s) => s.skip);
  const restricted = !trusted || fromServer.some((s) => s.skip?.reason === WIRE.restrictedMode);
  const list = modelStages.map((s) => s.title).join(", ");
  if (!modelStages.length) {
    skipNote.hidden = true;
    return replace(skipNote);
  }
  if (restricted) {
    const said = fromServer.find((s) => s.skip?.reason === WIRE.restrictedMode)?.skip?.message;
    skipNote.hidden = false;
    return replace(skipNote, h("strong", {}, "Restricted Mode: "),
      `Run will do the static stages only and skip ${list}. ${said ?? "No code is sent to a model provider from an untrusted workspace."} `,
      trustButton());
  }
  const noProvider = fromServer.find((s) => s.skip?.reason === "noProvider")?.skip?.message;
  if (noProvider || estimate?.ifConfigured) {
    skipNote.hidden = false;
    return replace(skipNote, h("strong", {}, "No model provider: "), `Run will skip ${list}. ${noProvider ?? "No API key is set."} `,
      setKeyButton());
  }
  skipNote.hidden = true;
  replace(skipNote);
}

function setKeyButton(): HTMLElement {
  const button = h("button", { type: "button", class: "secondary" }, "Set API Key…");
  button.addEventListener("click", () => vscode.postMessage({ type: "command", command: "keel.setApiKey" }));
  return button;
}

workflowSelect.addEventListener("change", () => {
  workflow = workflowSelect.value;
  save();
  renderWorkflowInfo();
  renderSkipNote();
  updateRunButton();
  scheduleEstimate();
});
targetInput.addEventListener("input", () => {
  target = targetInput.value.trim();
  targetLabel.textContent = "";
  targetProblem = undefined;
  save();
  updateRunButton();
  scheduleEstimate();
});
runButton.addEventListener("click", () => {
  if (runButton.disabled) return;
  vscode.postMessage({ type: "run", workflow, target });
});
cancelButton.addEventListener("click", () => {
  if (currentRun) vscode.postMessage({ type: "cancelRun", runId: currentRun.runId });
  cancelButton.disabled = true;
  runStatus.textContent = "Cancelling…";
});

function renderWorkflows(): void {
  replace(workflowSelect, ...workflows.map((w) => h("option", { value: w.id, selected: w.id === workflow }, w.title)));
  if (!workflows.some((w) => w.id === workflow)) workflow = workflows[0]?.id ?? "";
  workflowSelect.value = workflow;
  renderWorkflowInfo();
  renderSkipNote();
  updateRunButton();
  scheduleEstimate();
}

function renderWorkflowInfo(): void {
  const info = workflows.find((w) => w.id === workflow);
  if (!info) return replace(workflowInfo);
  replace(workflowInfo,
    h("p", {}, info.description, " ", h("span", { class: "badge" }, info.profile)),
    h("ol", { class: "stages" }, ...info.stages.map((s) =>
      h("li", {}, s.title, " ", h("span", { class: `badge ${s.kind}` }, s.kind === "llm" ? `model · ${s.tier ?? "?"}` : "static")))));
}

/** Why a stage runs on its tier: the workflow's choice, or one tier cheaper for a small input. */
function tierText(stageId: string, tier: string | null | undefined, downgraded: boolean | null | undefined): string {
  if (!tier) return "static (no model)";
  const asked = workflows.find((w) => w.id === workflow)?.stages.find((s) => s.id === stageId)?.tier;
  if (downgraded) return `${tier} (small input, so one tier below ${asked ?? "the workflow's"})`;
  return asked && asked === tier ? `${tier} (the workflow's choice)` : tier;
}

function renderEstimate(estimate: CostEstimate): void {
  estimateBox.classList.remove("stale");
  const offline = estimate.ifConfigured;
  replace(estimateBox,
    h("p", { class: "estimate-total" },
      h("strong", { id: "estimate-expected" }, usd(estimate.usd.expected)),
      ` (band ${usd(estimate.usd.low)} – ${usd(estimate.usd.high)}) · ${estimate.files} files, ${estimate.inputTokens.toLocaleString("en-US")} input tokens`),
    budgetLeft(estimate),
    offline ? h("p", { id: "estimate-if-configured", class: "muted" },
      `Offline now. With ${offline.provider}: ${usd(offline.usd.expected)} (${usd(offline.usd.low)} – ${usd(offline.usd.high)}).`) : null,
    h("table", { class: "stages-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Stage"), h("th", {}, "Tier"), h("th", {}, "Model"), h("th", {}, "Tokens in/out"), h("th", {}, "Cost"))),
      h("tbody", {}, ...estimate.stages.map((s) => h("tr", {},
        h("td", {}, s.id), h("td", { class: "tier" }, tierText(s.id, s.tier, s.downgraded)),
        h("td", {}, s.model ?? (s.ifConfiguredModel ? `(${s.ifConfiguredModel} once a key is set)` : "–")),
        h("td", {}, `${s.inputTokens.toLocaleString("en-US")}/${s.outputTokens.toLocaleString("en-US")}`), h("td", {}, usd(s.usd))))),
    ));
  renderSkipNote(estimate);
}

/** Budget left beside the band (budgets.*), flagged when the band's high end does not fit. */
function budgetLeft(estimate: CostEstimate): HTMLElement | null {
  const left = estimate.budget?.leftForRunUsd;
  if (left === undefined || left === null) return null;
  const over = estimate.usd.high > left;
  return h("p", { id: "estimate-budget", class: over ? "budget-over" : "muted" },
    `Budget left for this run: ${usd(left)}${over ? " — the band's high end does not fit; Run will ask." : ""}`);
}

function stopTicker(): void {
  if (ticker) clearInterval(ticker);
  ticker = undefined;
}

function renderProgress(): void {
  if (!progress) return;
  progressSummary.hidden = false;
  progressSummary.textContent = summaryLine(progress, Date.now());
  replace(progressList, ...progress.lines.map((line) => h("li", { class: /retrying|falling back/.test(line) ? "event-warn" : "" }, line)));
}

function renderRuns(runs: RunSummary[], reportable: string[]): void {
  if (!runs.length) return replace(runsList, h("li", { class: "muted" }, "No runs yet."));
  replace(runsList, ...runs.map((r) => {
    const open = h("button", { type: "button", class: "link", disabled: !reportable.includes(r.runId), "data-run-id": r.runId,
      title: reportable.includes(r.runId) ? `Show the report of run ${r.runId}` : "Only runs started in this window keep their report here" },
      `${r.workflow} · ${r.target}`);
    open.addEventListener("click", () => vscode.postMessage({ type: "openRun", runId: r.runId }));
    return h("li", { class: `status-${r.status}` }, open,
      ` ${runStatusWord(r.status)} · ${new Date(r.startedAt).toLocaleString()} · ${(r.durationMs / 1000).toFixed(1)} s · ${usd(r.actualUsd)} `,
      h("span", { class: "muted run-id", title: r.runId }, shortRunId(r.runId)));
  }));
}

function showRunStarted(message: Extract<DashboardUpdate, { type: "runStarted" }>): void {
  const fresh = currentRun?.runId !== message.runId;
  currentRun = { runId: message.runId, workflow: message.workflow, target: message.target };
  if (message.workflow !== workflow || message.target !== target) {
    workflow = message.workflow;
    workflowSelect.value = workflow;
    target = message.target;
    targetInput.value = target;
  }
  cancelButton.disabled = false;
  runStatus.textContent = message.attached
    ? `Attached to run ${shortRunId(message.runId)}, already in flight.`
    : `Run ${shortRunId(message.runId)} started.`;
  runStatus.dataset["runId"] = message.runId;
  runStatus.dataset["attached"] = String(message.attached);
  if (fresh) {
    // A new run: the previous report and progress go, so nothing on screen belongs to another run.
    progress = newProgress(message.runId, message.deadlineMs);
    progress.startedAt = Date.now();
    clearReport(reportBox);
    replace(progressList);
    stopTicker();
    ticker = setInterval(renderProgress, TICK_MS);
    renderProgress();
  }
  updateRunButton();
}

function showRunEnded(runId: string): void {
  if (currentRun?.runId === runId) currentRun = undefined;
  if (progress?.runId === runId || !currentRun) {
    stopTicker();
    progressSummary.hidden = true;
  }
  updateRunButton();
}

onMessage<DashboardUpdate>((message) => {
  switch (message.type) {
    case "health":
      return renderBanner(banner, message.view);
    case "trust":
      trusted = message.trusted;
      return renderSkipNote();
    case "workflows":
      workflows = message.workflows;
      if (typeof message.workspaceTrusted === "boolean") trusted = message.workspaceTrusted;
      return renderWorkflows();
    case "target":
      target = message.target;
      targetInput.value = target;
      targetLabel.textContent = message.label;
      targetProblem = undefined;
      save();
      updateRunButton();
      return scheduleEstimate();
    case "restore":
      // The host kept what this webview lost (a revived panel without its state).
      if (message.workflow) {
        workflow = message.workflow;
        if (workflows.length) workflowSelect.value = workflow;
      }
      target = message.target;
      targetInput.value = target;
      save();
      renderWorkflowInfo();
      renderSkipNote();
      updateRunButton();
      return scheduleEstimate();
    case "targetStatus":
      if (message.target !== target) return;
      if (targetInput.value.trim() !== target) targetInput.value = target;
      targetProblem = message.exists ? undefined : message.reason ?? `${message.target} does not exist.`;
      if (!message.exists) {
        estimateBox.classList.remove("stale");
        replace(estimateBox, h("span", { class: "muted" }, "No estimate for a target that does not exist."));
      }
      updateRunButton();
      return;
    case "estimate":
      if (JSON.stringify([message.workflow, message.target]) === estimateFor) renderEstimate(message.estimate);
      return;
    case "estimateError":
      estimateBox.classList.remove("stale");
      return replace(estimateBox, h("span", { class: "error-text" }, `No estimate: ${message.message}`));
    case "runStarted":
      return showRunStarted(message);
    case "runEvent":
      if (!progress || !currentRun || (currentRun.runId !== message.event.runId && currentRun.runId !== message.event.clientRunId)) return;
      applyEvent(progress, message.event, Date.now());
      return renderProgress();
    case "runFinished":
      showRunEnded(message.result.runId);
      runStatus.textContent = `Run ${shortRunId(message.result.runId)} ${runStatusWord(message.result.status)}.`;
      lastRunId = message.result.runId;
      save();
      return renderReport(reportBox, message.result, message.relPaths ?? {}, message.trusted ?? trusted);
    case "runFailed":
      showRunEnded(message.runId);
      replace(runStatus, `Run failed: ${message.message}`, " ",
        message.trusted === false ? trustButton() : null);
      return;
    case "findingsPage":
      if (currentReportRunId() === message.runId) addFindings(reportBox, message.runId, message.findings, message.relPaths, message.total);
      return;
    case "runs":
      return renderRuns(message.runs, message.reportable);
    case "usage":
      return renderUsage(usageBox, message.report);
    case "cancelFailed":
      if (currentRun?.runId !== message.runId) return;
      cancelButton.disabled = false;
      runStatus.textContent = `Could not cancel run ${shortRunId(message.runId)}: ${message.message}`;
      return;
    case "error":
      errorBox.hidden = false;
      errorBox.textContent = message.message;
      return;
  }
});

targetInput.value = target;
updateRunButton();
vscode.postMessage({ type: "ready", ...(saved.workflow ? { workflow: saved.workflow } : {}),
  ...(saved.target ? { target: saved.target } : {}), ...(saved.lastRunId ? { lastRunId: saved.lastRunId } : {}),
  ...(saved.savedAt ? { savedAt: saved.savedAt } : {}) });
