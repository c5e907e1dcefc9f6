/** The Refactor Advisor webview: Analyze / Cancel, findings by severity and rule, fix preview and Apply. */
import type { Finding } from "../src/protocol/keel-protocol";
import type { AdvisorState, AdvisorUpdate } from "../src/webview/messages";
import { str, WIRE } from "../src/webview/wire";
import { h, onMessage, renderBanner, replace, vscode } from "./common";

const SEVERITIES: Array<Finding["severity"]> = ["error", "warning", "info"];

const app = document.getElementById("app") as HTMLElement;
const banner = h("div", { id: "banner", class: "banner", role: "alert", hidden: true });
const fileLabel = h("span", { id: "file", class: "muted" }, "No file analysed yet.");
const analyzeButton = h("button", { id: "analyze", type: "button" }, "Analyze");
const cancelButton = h("button", { id: "cancel", type: "button", class: "secondary", hidden: true }, "Cancel");
const fixAllButton = h("button", { id: "fix-all-safe", type: "button", class: "secondary", hidden: true,
  title: "Apply every fix labelled safe (behaviour kept); unsafe fixes stay for review" }, "Fix all safe");
const statusLine = h("div", { id: "status", role: "status" });
const findingsBox = h("div", { id: "findings" });

replace(app, banner, h("h1", {}, "Refactor Advisor"),
  h("div", { class: "row" }, analyzeButton, cancelButton, fixAllButton, fileLabel), statusLine, findingsBox);

analyzeButton.addEventListener("click", () => vscode.postMessage({ type: "analyze" }));
cancelButton.addEventListener("click", () => vscode.postMessage({ type: "cancel" }));
fixAllButton.addEventListener("click", () => vscode.postMessage({ type: "command", command: "keel.fixAllSafe" }));

/** The fix's safety as a badge with its reason: what a user needs before clicking Apply. */
function safetyBadge(f: Finding, proposal: AdvisorState["proposals"][string] | undefined): HTMLElement | null {
  if (proposal?.source === "llm") {
    return h("div", { class: "safety" }, h("span", { class: "badge unsafe" }, "model-proposed: review"),
      h("span", { class: "safety-reason muted" }, " A model wrote this fix; nothing checks that it keeps behaviour."));
  }
  const safety = proposal?.safety ?? f.fixSafety;
  if (!f.fixable || !safety) return null;
  const reason = proposal?.safetyReason ?? str(f, WIRE.finding.fixSafetyReason)
    ?? (safety === "safe" ? "The fix keeps what the code does." : "The fix changes what the code does, or cannot be shown not to.");
  return h("div", { class: `safety safety-${safety}`, "data-safety": safety },
    h("span", { class: `badge ${safety}` }, safety === "safe" ? "safe fix" : "unsafe fix"), h("span", { class: "safety-reason muted" }, ` ${reason}`));
}

function findingItem(f: Finding, state: AdvisorState): HTMLElement {
  const decision = state.decisions[f.id];
  const proposal = state.proposals[f.id];
  const link = h("a", { href: "#", class: "finding-link" }, `line ${f.range.start.line + 1}: ${f.title}`);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    vscode.postMessage({ type: "reveal", findingId: f.id });
  });
  const actions: HTMLElement[] = [];
  if (f.fixable && decision !== "applied" && decision !== "dismissed") {
    const generate = h("button", { type: "button", class: "secondary generate-fix" }, decision === "previewed" ? "Preview again" : "Generate fix");
    generate.addEventListener("click", () => vscode.postMessage({ type: "generateFix", findingId: f.id }));
    actions.push(generate);
  }
  if (decision === "previewed" && proposal) {
    const blocked = proposal.source === "llm" && !state.trusted;
    const apply = h("button", { type: "button", class: "apply-fix", disabled: blocked }, proposal.safety === "unsafe" ? "Apply unsafe fix" : "Apply");
    apply.addEventListener("click", () => vscode.postMessage({ type: "applyFix", findingId: f.id }));
    actions.push(apply);
  }
  if (decision !== "dismissed" && decision !== "applied") {
    const dismiss = h("button", { type: "button", class: "link dismiss" }, "Dismiss");
    dismiss.addEventListener("click", () => vscode.postMessage({ type: "dismiss", findingId: f.id }));
    actions.push(dismiss);
  }
  return h("li", { class: `finding severity-${f.severity}${decision ? ` decision-${decision}` : ""}`, "data-finding-id": f.id },
    link, h("div", { class: "muted" }, f.message),
    f.suggestion ? h("div", { class: "suggestion" }, f.suggestion) : null,
    safetyBadge(f, proposal),
    proposal ? h("div", { class: "proposal" },
      proposal.source === "llm" ? h("span", { class: "badge model" }, `model-proposed${proposal.model ? ` · ${proposal.model}` : ""}`) : h("span", { class: "badge" }, "rule fix"),
      ` ${proposal.title ?? proposal.explanation}`) : null,
    decision ? h("span", { class: "badge decision" }, decision) : null,
    h("div", { class: "row actions" }, ...actions));
}

function render(state: AdvisorState): void {
  const analyzing = state.phase === "analyzing";
  analyzeButton.disabled = analyzing;
  cancelButton.hidden = !analyzing;
  const safeCount = (state.result?.findings ?? []).filter((f) => f.fixable && f.fixSafety === "safe"
    && state.decisions[f.id] !== "applied" && state.decisions[f.id] !== "dismissed").length;
  fixAllButton.hidden = analyzing || safeCount === 0;
  fixAllButton.textContent = `Fix all safe (${safeCount})`;
  fileLabel.textContent = state.fileName ?? "No file analysed yet.";
  statusLine.className = `phase-${state.phase}`;
  statusLine.dataset["phase"] = state.phase;
  statusLine.textContent = state.message ?? "";
  const findings = state.result?.findings ?? [];
  if (!state.result) return replace(findingsBox);
  if (!findings.length) return replace(findingsBox, h("p", { class: "muted" }, "No findings."));
  const groups = SEVERITIES.map((severity) => {
    const ofSeverity = findings.filter((f) => f.severity === severity);
    if (!ofSeverity.length) return null;
    const rules = [...new Set(ofSeverity.map((f) => f.rule))].sort();
    return h("section", { class: `severity-group severity-${severity}` },
      h("h2", {}, `${severity} (${ofSeverity.length})`),
      ...rules.map((rule) => {
        const items = ofSeverity.filter((f) => f.rule === rule);
        return h("details", { open: true, class: "rule-group", "data-rule": rule },
          h("summary", {}, `${rule} (${items.length})`),
          h("ul", {}, ...items.map((f) => findingItem(f, state))));
      }));
  });
  replace(findingsBox, ...groups);
}

onMessage<AdvisorUpdate>((message) => {
  if (message.type === "health") renderBanner(banner, message.view);
  else if (message.type === "state") render(message.state);
});

vscode.postMessage({ type: "ready" });
