/** The dashboard webview: draws what the host sends; every click becomes one validated message. */
import MarkdownIt from "markdown-it";
import type { CostEstimate, RunEvent, RunResult, RunSummary, UsageReport, WorkflowInfo } from "../src/protocol/keel-protocol";
import type { DashboardUpdate } from "../src/webview/messages";
import { isWebLink } from "../src/webview/links";
import { barChart, rateChart } from "./charts";
import { h, onMessage, renderBanner, replace, usd, vscode } from "./common";

// html: false escapes any HTML in a report; links other than http(s) stay plain text (links.ts).
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.validateLink = isWebLink;
const ESTIMATE_DEBOUNCE_MS = 300;

interface Saved {
  workflow?: string;
  target?: string;
}

const saved = (vscode.getState() as Saved | undefined) ?? {};
let workflows: WorkflowInfo[] = [];
let workflow = saved.workflow ?? "";
let target = saved.target ?? "";
let currentRun: { runId: string; workflow: string; target: string } | undefined;
let estimateTimer: ReturnType<typeof setTimeout> | undefined;
let estimateFor = "";

const app = document.getElementById("app") as HTMLElement;
const banner = h("div", { id: "banner", class: "banner", role: "alert", hidden: true });
const errorBox = h("div", { id: "error", class: "error", role: "alert", hidden: true });
const workflowSelect = h("select", { id: "workflow", "aria-label": "Workflow" });
const workflowInfo = h("div", { id: "workflow-info", class: "muted" });
const targetInput = h("input", { id: "target", type: "text", "aria-label": "Target", placeholder: "path relative to the workspace" });
const targetLabel = h("span", { id: "target-label", class: "muted" });
const estimateBox = h("div", { id: "estimate", class: "estimate" }, "Pick a workflow and a target to see its cost.");
const runButton = h("button", { id: "run", type: "button" }, "Run");
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
    h("div", { class: "row" }, runButton, cancelButton), runStatus, progressList),
  reportBox,
  h("section", { class: "card" }, h("h2", {}, "Recent runs"), runsList),
  h("section", { class: "card" }, h("h2", {}, "Usage and reliability (30 days)"), usageBox),
);

function save(): void {
  vscode.setState({ workflow, target } satisfies Saved);
}

function scheduleEstimate(): void {
  if (estimateTimer) clearTimeout(estimateTimer);
  if (!workflow || !target) return;
  estimateTimer = setTimeout(() => {
    estimateFor = JSON.stringify([workflow, target]);
    estimateBox.classList.add("stale");
    vscode.postMessage({ type: "estimate", workflow, target });
  }, ESTIMATE_DEBOUNCE_MS);
}

function updateRunButton(): void {
  const inFlight = currentRun !== undefined && currentRun.workflow === workflow && currentRun.target === target;
  runButton.disabled = !workflow || !target || inFlight;
  runButton.textContent = inFlight ? "Running…" : "Run";
  cancelButton.hidden = currentRun === undefined;
}

workflowSelect.addEventListener("change", () => {
  workflow = workflowSelect.value;
  save();
  renderWorkflowInfo();
  updateRunButton();
  scheduleEstimate();
});
targetInput.addEventListener("input", () => {
  target = targetInput.value.trim();
  targetLabel.textContent = "";
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

function renderEstimate(estimate: CostEstimate): void {
  estimateBox.classList.remove("stale");
  const offline = estimate.ifConfigured;
  replace(estimateBox,
    h("p", { class: "estimate-total" },
      h("strong", { id: "estimate-expected" }, usd(estimate.usd.expected)),
      ` (band ${usd(estimate.usd.low)} – ${usd(estimate.usd.high)}) · ${estimate.files} files, ${estimate.inputTokens.toLocaleString()} input tokens`),
    budgetLeft(estimate),
    offline ? h("p", { id: "estimate-if-configured", class: "muted" },
      `Offline now. With ${offline.provider}: ${usd(offline.usd.expected)} (${usd(offline.usd.low)} – ${usd(offline.usd.high)}).`) : null,
    h("table", { class: "stages-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Stage"), h("th", {}, "Tier"), h("th", {}, "Model"), h("th", {}, "Tokens in/out"), h("th", {}, "Cost"))),
      h("tbody", {}, ...estimate.stages.map((s) => h("tr", {},
        h("td", {}, s.id), h("td", {}, s.tier ?? "static"), h("td", {}, s.model ?? (s.ifConfiguredModel ? `(${s.ifConfiguredModel})` : "–")),
        h("td", {}, `${s.inputTokens}/${s.outputTokens}`), h("td", {}, usd(s.usd))))),
    ));
}

/** Budget left beside the band (budgets.*), flagged when the band's high end does not fit. */
function budgetLeft(estimate: CostEstimate): HTMLElement | null {
  const left = estimate.budget?.leftForRunUsd;
  if (left === undefined || left === null) return null;
  const over = estimate.usd.high > left;
  return h("p", { id: "estimate-budget", class: over ? "budget-over" : "muted" },
    `Budget left for this run: ${usd(left)}${over ? " — the band's high end does not fit; Run will ask." : ""}`);
}

function describeEvent(event: RunEvent): string {
  const where = event.stage ? ` ${event.stage}` : "";
  switch (event.kind) {
    case "retrying": return `↻ retrying${where} (attempt ${event.attempt ?? "?"}${event.message ? `: ${event.message}` : ""})`;
    case "fallback": return `⤳ fallback${where} to ${event.provider ?? "?"}${event.model ? `/${event.model}` : ""}${event.message ? `: ${event.message}` : ""}`;
    case "stageStarted": return `▶${where} started${event.provider ? ` on ${event.provider}` : ""}`;
    case "stageFinished": return `■${where} finished${event.message ? `: ${event.message}` : ""}`;
    default: return `${event.kind}${where}${event.message ? `: ${event.message}` : ""}`;
  }
}

function renderResult(result: RunResult): void {
  reportBox.hidden = false;
  const rendered = h("div", { id: "report-markdown", class: "markdown" });
  // Safe: markdown-it with html:false escapes every tag in the report text.
  rendered.innerHTML = markdown.render(result.report.markdown);
  const findings = result.report.findings ?? [];
  replace(reportBox,
    h("h2", {}, `Report: ${result.workflow} on ${result.target}`),
    h("p", { id: "report-status", class: `status-${result.status}` },
      `${result.status} in ${(result.durationMs / 1000).toFixed(1)} s · cost ${usd(result.cost.actualUsd)} (baseline ${usd(result.cost.baselineUsd)})`,
      result.error ? ` · ${result.error.hint ?? result.error.code}` : ""),
    h("table", { class: "stages-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Stage"), h("th", {}, "Status"), h("th", {}, "Model"), h("th", {}, "Attempts"), h("th", {}, "Fallback"), h("th", {}, "Cost"))),
      h("tbody", {}, ...result.stages.map((s) => h("tr", {},
        h("td", {}, s.id), h("td", {}, s.status + (s.note ? ` (${s.note})` : "")),
        h("td", {}, s.provider ? `${s.provider}/${s.model ?? ""}` : "–"), h("td", {}, String(s.attempts ?? 0)),
        h("td", {}, s.fallbackUsed ? "yes" : "no"), h("td", {}, usd(s.usd)))))),
    h("h3", {}, `Findings (${findings.length})`),
    h("ul", { id: "report-findings", class: "findings" }, ...findings.map((f) => {
      const link = h("a", { href: "#", class: "finding-link" }, `${f.title}`);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        vscode.postMessage({ type: "reveal", uri: f.uri, range: f.range });
      });
      return h("li", { class: `severity-${f.severity}` }, link, ` ${f.message} (${f.rule}, line ${f.range.start.line + 1})`);
    })),
    rendered);
}

function renderRuns(runs: RunSummary[], reportable: string[]): void {
  if (!runs.length) return replace(runsList, h("li", { class: "muted" }, "No runs yet."));
  replace(runsList, ...runs.map((r) => {
    const open = h("button", { type: "button", class: "link", disabled: !reportable.includes(r.runId), "data-run-id": r.runId },
      `${r.workflow} · ${r.target}`);
    open.addEventListener("click", () => vscode.postMessage({ type: "openRun", runId: r.runId }));
    return h("li", { class: `status-${r.status}` }, open,
      ` ${r.status} · ${new Date(r.startedAt).toLocaleString()} · ${(r.durationMs / 1000).toFixed(1)} s · ${usd(r.actualUsd)}`);
  }));
}

function renderUsage(report: UsageReport): void {
  const days = report.byDay ?? [];
  const rate = (n: number | undefined, d: number | undefined): number => (d ? (n ?? 0) / d : 0);
  replace(usageBox,
    h("p", { id: "usage-summary" },
      `${report.runs} runs · success ${(report.successRate * 100).toFixed(0)}% · timeouts ${(report.timeoutRate * 100).toFixed(0)}% · ` +
      `fallbacks ${(report.fallbackRate * 100).toFixed(0)}% · spent ${usd(report.actualUsd)}, saved ${usd(report.savingsUsd)}`),
    h("div", { class: "charts" },
      h("figure", {}, barChart("Cost per day", days.map((d) => ({ label: d.key.slice(5), value: d.actualUsd ?? 0 })), usd), h("figcaption", {}, "Cost per day")),
      h("figure", {}, barChart("Actual vs baseline cost", [
        { label: "actual", value: report.actualUsd, className: "bar actual" },
        { label: "baseline", value: report.baselineUsd, className: "bar baseline" }], usd), h("figcaption", {}, "Actual vs baseline")),
      h("figure", {}, rateChart("Success, timeout and fallback rates per day", [
        { name: "success", values: days.map((d) => d.successRate ?? rate(d.succeeded, d.runs)), className: "success" },
        { name: "timeout", values: days.map((d) => rate(d.timedOut, d.runs)), className: "timeout" },
        { name: "fallback", values: days.map((d) => rate(d.fallbacks, d.calls)), className: "fallback" }]),
      h("figcaption", {}, "Success / timeout / fallback rates"))));
}

onMessage<DashboardUpdate>((message) => {
  switch (message.type) {
    case "health":
      return renderBanner(banner, message.view);
    case "workflows":
      workflows = message.workflows;
      return renderWorkflows();
    case "target":
      target = message.target;
      targetInput.value = target;
      targetLabel.textContent = message.label;
      save();
      updateRunButton();
      return scheduleEstimate();
    case "estimate":
      if (JSON.stringify([message.workflow, message.target]) === estimateFor) renderEstimate(message.estimate);
      return;
    case "estimateError":
      estimateBox.classList.remove("stale");
      return replace(estimateBox, h("span", { class: "error-text" }, `No estimate: ${message.message}`));
    case "runStarted":
      currentRun = { runId: message.runId, workflow: message.workflow, target: message.target };
      if (message.workflow !== workflow || message.target !== target) {
        workflow = message.workflow;
        workflowSelect.value = workflow;
        target = message.target;
        targetInput.value = target;
      }
      cancelButton.disabled = false;
      runStatus.textContent = message.attached
        ? `Attached to run ${message.runId}, already in flight.`
        : `Run ${message.runId} started.`;
      runStatus.dataset["attached"] = String(message.attached);
      if (!message.attached) replace(progressList);
      return updateRunButton();
    case "runEvent":
      if (currentRun?.runId !== message.event.runId) return;
      progressList.append(h("li", { class: `event-${message.event.kind}` }, describeEvent(message.event)));
      return;
    case "runFinished":
      if (currentRun?.runId === message.result.runId) currentRun = undefined;
      runStatus.textContent = `Run ${message.result.runId} ${message.result.status}.`;
      updateRunButton();
      return renderResult(message.result);
    case "runFailed":
      if (currentRun?.runId === message.runId) currentRun = undefined;
      runStatus.textContent = `Run failed: ${message.message}`;
      return updateRunButton();
    case "runs":
      return renderRuns(message.runs, message.reportable);
    case "usage":
      return renderUsage(message.report);
    case "error":
      errorBox.hidden = false;
      errorBox.textContent = message.message;
      return;
  }
});

targetInput.value = target;
updateRunButton();
vscode.postMessage({ type: "ready" });
