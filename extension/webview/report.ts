/**
 * The dashboard's run report: one summary (status in words, time, cost, the stages), the
 * findings grouped by file with `file:line` links, paged (more from the host via
 * keel/runFindings), then the stage sections of the server's markdown (model answers).
 */
import MarkdownIt from "markdown-it";
import type { ErrorData, Finding, RunResult } from "../src/protocol/keel-protocol";
import { isWebLink } from "../src/webview/links";
import { FINDINGS_PAGE, groupByFile, lineRange, reportBody } from "../src/webview/reportModel";
import { attemptsText, runStatusWord, stageNote, stageStatusWord } from "../src/webview/runProgress";
import { skipOf, str, WIRE } from "../src/webview/wire";
import { h, replace, usd, vscode } from "./common";

// html: false escapes any HTML in a report; links other than http(s) stay plain text (links.ts).
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.validateLink = isWebLink;

const ERROR_WORDS: Record<ErrorData["errorType"], string> = {
  config: "a configuration problem", validation: "bad input", provider: "the model provider failed",
  timeout: "the run's deadline passed", cancelled: "cancelled", unavailable: "no provider could serve it",
  internal: "an internal error (details in the Keel log)",
};

interface Shown {
  result: RunResult;
  findings: Finding[];
  relPaths: Record<string, string>;
  shown: number;
  total: number;
  trusted: boolean;
}

let current: Shown | undefined;

export function clearReport(box: HTMLElement): void {
  current = undefined;
  box.hidden = true;
  replace(box);
}

export function currentReportRunId(): string | undefined {
  return current?.result.runId;
}

function skippedForTrust(result: RunResult): boolean {
  return result.stages.some((s) => s.status === "skipped"
    && (skipOf(s)?.reason === WIRE.restrictedMode || /not trusted|trusted workspace/i.test(s.note ?? "")));
}

export function trustButton(): HTMLElement {
  const button = h("button", { id: "manage-trust", type: "button" }, "Manage Workspace Trust");
  button.addEventListener("click", () => vscode.postMessage({ type: "command", command: "workbench.trust.manage" }));
  return button;
}

export function renderReport(box: HTMLElement, result: RunResult, relPaths: Record<string, string>, trusted: boolean): void {
  const findings = result.report.findings ?? [];
  current = { result, findings: [...findings], relPaths: { ...relPaths }, shown: Math.min(findings.length, FINDINGS_PAGE),
    total: Math.max(result.report.findingsTotal ?? findings.length, findings.length), trusted };
  draw(box);
}

/** A page from keel/runFindings, appended to the report it belongs to. */
export function addFindings(box: HTMLElement, runId: string, findings: Finding[], relPaths: Record<string, string>, total: number): void {
  if (!current || current.result.runId !== runId) return;
  current.findings.push(...findings);
  Object.assign(current.relPaths, relPaths);
  current.total = Math.max(total, current.findings.length);
  current.shown = Math.min(current.shown + FINDINGS_PAGE, current.findings.length);
  draw(box);
}

function draw(box: HTMLElement): void {
  if (!current) return;
  const { result, trusted } = current;
  box.hidden = false;
  const rendered = h("div", { id: "report-markdown", class: "markdown" });
  // Safe: markdown-it with html:false escapes every tag in the report text.
  rendered.innerHTML = markdown.render(reportBody(result.report.markdown, current.total > 0));
  const statusText = str(result.report, WIRE.report.statusText) ?? capitalize(runStatusWord(result.status));
  const summary = str(result.report, WIRE.report.summary);
  // A cancelled run's status already says so.
  const why = result.error && result.error.errorType !== "cancelled" ? ` · ${result.error.hint ?? ERROR_WORDS[result.error.errorType] ?? "it failed"}` : "";
  const needsTrust = !trusted && (skippedForTrust(result) || result.status === "failed");
  replace(box,
    h("h2", {}, `Report: ${result.workflow} on ${result.target}`),
    h("p", { id: "report-status", class: `status-${result.status}` },
      `${statusText} in ${(result.durationMs / 1000).toFixed(1)} s · cost ${usd(result.cost.actualUsd)} (without tiering ${usd(result.cost.baselineUsd)})${why}`),
    summary ? h("p", { id: "report-summary", class: "muted" }, summary) : null,
    needsTrust ? h("p", { class: "trust-note" }, "Model stages were skipped because this workspace is in Restricted Mode. ", trustButton()) : null,
    h("table", { class: "stages-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Stage"), h("th", {}, "Status"), h("th", {}, "Model"), h("th", {}, "Model calls"), h("th", {}, "Fallback"), h("th", {}, "Cost"))),
      h("tbody", {}, ...result.stages.map((s) => {
        const note = skipOf(s)?.message ?? stageNote(s.status, s.note);
        return h("tr", {},
          h("td", {}, s.id), h("td", {}, stageStatusWord(s.status) + (note ? ` (${note})` : "")),
          h("td", {}, s.provider ? `${s.provider}/${s.model ?? ""}` : "–"), h("td", {}, attemptsText(s)),
          h("td", {}, s.fallbackUsed ? "yes" : "no"), h("td", {}, usd(s.usd)));
      }))),
    findingsSection(box),
    rendered.textContent?.trim() ? h("h3", {}, "Stage details") : null,
    rendered);
}

function findingsSection(box: HTMLElement): HTMLElement {
  const state = current!;
  const section = h("section", { id: "report-findings", class: "findings" },
    h("h3", {}, state.total ? `Findings (${state.total})` : "No findings."));
  for (const group of groupByFile(state.findings.slice(0, state.shown), state.relPaths)) {
    section.append(h("details", { open: true, class: "file-group", "data-file": group.path },
      h("summary", {}, `${group.path} (${group.findings.length})`),
      h("ul", {}, ...group.findings.map((f) => {
        const link = h("a", { href: "#", class: "finding-link", title: `Open ${group.path} at line ${f.range.start.line + 1}` },
          `${group.path}:${lineRange(f)}`);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          vscode.postMessage({ type: "reveal", uri: f.uri, range: f.range });
        });
        return h("li", { class: `severity-${f.severity}` }, link, " ", h("strong", {}, f.title), ` ${f.message} `,
          h("span", { class: "muted" }, `(${f.severity}, ${f.rule})`));
      }))));
  }
  const left = state.total - state.shown;
  if (left > 0) {
    const more = h("button", { id: "more-findings", type: "button", class: "secondary" },
      `Show ${Math.min(left, FINDINGS_PAGE)} more (${left} not shown)`);
    more.addEventListener("click", () => {
      if (state.shown < state.findings.length) {
        state.shown = Math.min(state.shown + FINDINGS_PAGE, state.findings.length);
        draw(box);
      } else {
        more.setAttribute("disabled", "");
        vscode.postMessage({ type: "moreFindings", runId: state.result.runId, offset: state.findings.length });
      }
    });
    section.append(more);
  }
  return section;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
