/**
 * The dashboard: workflows, target picker with a live estimate, Run / attach / Cancel with
 * per-stage progress, the report, recent runs and usage. The host only forwards: every answer
 * comes from the server.
 */
import * as vscode from "vscode";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import * as ext from "../lspExt";
import type { CostEstimate, EstimateCostParams, Finding, RunResult } from "../protocol/keel-protocol";
import type { KeelClient } from "../lifecycle/keelClient";
import { describeError } from "../errors";
import { statusView } from "../status/statusModel";
import { LatestOnly } from "./estimates";
import { DashboardMessage, type DashboardUpdate } from "./messages";
import { workspaceFilePath } from "./reveal";
import { KeelPanel } from "./panelBase";
import { RunTracker } from "./runs";
import { runWithinBudget } from "./budgetDialog";
import { runDeadlineMs, showRunNotification } from "./runNotification";
import { FINDINGS_PAGE } from "./reportModel";
import { WIRE } from "./wire";
import { newerChoice, type KeptChoice } from "./dashboardState";

const REPORTS_KEY = "keel.runResults";
/** The dashboard's workflow, target and last report, kept by the host too: a revived webview may come back without its own state. */
const DASHBOARD_KEY = "keel.dashboardState";

function keep(state: vscode.Memento, change: KeptChoice): void {
  void state.update(DASHBOARD_KEY, { ...state.get<KeptChoice>(DASHBOARD_KEY, {}), ...change, savedAt: Date.now() });
}

const KEPT_REPORTS = 20;

export interface DashboardDeps {
  client: KeelClient;
  extensionUri: vscode.Uri;
  workspaceState: vscode.Memento;
  output: vscode.LogOutputChannel;
  runs: RunTracker<RunResult>;
  /** The file editor the user last worked in (the dashboard itself takes focus). */
  lastFileEditor(): vscode.TextEditor | undefined;
}

/** Resolves the dashboard's run tracker and report store for the command-palette run too. */
export async function startRun(deps: DashboardDeps, workflow: string, target: string,
  notify: (update: DashboardUpdate) => void): Promise<void> {
  // Untrusted, the server runs the static stages and skips the model stages with a reason: nothing
  // is refused here; the dashboard has said beforehand what will be skipped.
  const outcome = deps.runs.start(workflow, target, (runId) => runWithinBudget(
    (params) => deps.client.request(ext.runWorkflow, params), { workflow, target, runId }, vscode.window));
  const { run } = outcome;
  const deadlineMs = runDeadlineMs();
  notify({ type: "runStarted", workflow, target, runId: run.clientRunId, attached: outcome.attached, deadlineMs });
  if (!outcome.attached) {
    showRunNotification({
      onRunEvent: deps.client.onRunEvent,
      cancel: async (runId) => { await deps.client.request(ext.cancelRun, { runId }).catch(() => undefined); },
    }, `Keel: ${workflow} on ${target}`, run.clientRunId, run.result);
  }
  try {
    const result = await run.result;
    if (!outcome.attached) await rememberResult(deps.workspaceState, result);
    keep(deps.workspaceState, { lastRunId: result.runId });
    notify({ type: "runFinished", workflow, target, result, relPaths: relPaths(result.report.findings ?? []),
      trusted: vscode.workspace.isTrusted });
  } catch (error) {
    notify({ type: "runFailed", workflow, target, runId: run.clientRunId, message: describeError(error).message,
      trusted: vscode.workspace.isTrusted });
  }
}

/** Workspace-relative paths of the findings' files, for `file:line` links. */
export function relPaths(findings: readonly Finding[]): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const f of findings) {
    if (paths[f.uri] === undefined) {
      try {
        paths[f.uri] = vscode.workspace.asRelativePath(vscode.Uri.parse(f.uri), false);
      } catch {
        paths[f.uri] = f.uri;
      }
    }
  }
  return paths;
}

/** Whether a target typed in the dashboard names something in the workspace (Run is disabled otherwise). */
export async function targetStatus(target: string): Promise<{ exists: boolean; reason?: string }> {
  if (target === ".") return { exists: true };
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file");
  if (!folders.length) return { exists: false, reason: "Open a folder first: a workflow runs on files in the workspace." };
  if (path.isAbsolute(target) || /^[a-z]+:/i.test(target)) {
    return { exists: false, reason: "Give a path relative to the workspace folder." };
  }
  for (const folder of folders) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, target));
      return { exists: true };
    } catch {
      // not in this folder; try the next
    }
  }
  return { exists: false, reason: `${target} does not exist in the workspace.` };
}

async function rememberResult(state: vscode.Memento, result: RunResult): Promise<void> {
  const stored = state.get<Record<string, RunResult>>(REPORTS_KEY, {});
  const kept = Object.values(stored).filter((r) => r.runId !== result.runId)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, KEPT_REPORTS - 1);
  await state.update(REPORTS_KEY, Object.fromEntries([result, ...kept].map((r) => [r.runId, r])));
}

export class DashboardPanel extends KeelPanel<DashboardMessage, DashboardUpdate> {
  static current: DashboardPanel | undefined;
  private readonly estimates: LatestOnly<EstimateCostParams, CostEstimate>;

  /** Adopts a panel VS Code restored after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, deps: DashboardDeps): DashboardPanel {
    DashboardPanel.current?.dispose();
    DashboardPanel.current = new DashboardPanel(panel, deps);
    return DashboardPanel.current;
  }

  static show(deps: DashboardDeps): DashboardPanel {
    if (DashboardPanel.current && !DashboardPanel.current.isDisposed) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel("keel.dashboard", "Keel Dashboard", vscode.ViewColumn.Active,
      { enableScripts: true, retainContextWhenHidden: true });
    DashboardPanel.current = new DashboardPanel(panel, deps);
    return DashboardPanel.current;
  }

  private constructor(panel: vscode.WebviewPanel, private readonly deps: DashboardDeps) {
    super(panel, deps.extensionUri, "dashboard", DashboardMessage, deps.output);
    this.estimates = new LatestOnly((params, onCancel) => {
      const source = new vscode.CancellationTokenSource();
      onCancel({ cancel: () => source.cancel() });
      return deps.client.request(ext.estimateCost, params, source.token).finally(() => source.dispose());
    });
    this.disposables.push(
      deps.client.onDidChangeStatus((status) => {
        this.post({ type: "health", view: statusView(status) });
        if (status.phase === "running" && status.health && !this.loaded) void this.load();
      }),
      deps.client.onRunEvent((event) => this.post({ type: "runEvent", event })),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.post({ type: "trust", trusted: true })),
    );
  }

  private loaded = false;

  override dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    super.dispose();
  }

  protected async handle(message: DashboardMessage): Promise<void> {
    switch (message.type) {
      case "ready": {
        this.post({ type: "health", view: statusView(this.deps.client.current) });
        this.post({ type: "trust", trusted: vscode.workspace.isTrusted });
        const { choice, hostWins } = newerChoice(message, this.deps.workspaceState.get<KeptChoice>(DASHBOARD_KEY, {}));
        const { workflow, target, lastRunId } = choice;
        if (hostWins && target) this.post({ type: "restore", ...(workflow ? { workflow } : {}), target });
        if (target) await this.postTargetStatus(target);
        else this.post({ type: "target", ...this.currentFileTarget() });
        const inFlight = this.deps.runs.inFlight();
        for (const run of inFlight) {
          const [runWorkflow, runTarget] = JSON.parse(run.key) as [string, string];
          this.post({ type: "runStarted", workflow: runWorkflow, target: runTarget, runId: run.clientRunId, attached: true, deadlineMs: runDeadlineMs() });
        }
        // After a reload the last report comes back (not while a run is in flight: that one's will).
        if (lastRunId && !inFlight.length) this.postStoredReport(lastRunId, false);
        return this.load();
      }
      case "refresh":
        return this.load();
      case "estimate": {
        keep(this.deps.workspaceState, { workflow: message.workflow, target: message.target });
        if (!(await this.postTargetStatus(message.target))) return;
        const outcome = await this.estimates.request({ workflow: message.workflow, target: message.target });
        if (outcome.kind === "result") {
          this.post({ type: "estimate", workflow: message.workflow, target: message.target, estimate: outcome.value });
        } else if (outcome.kind === "error") {
          this.post({ type: "estimateError", message: outcome.error.message });
        }
        return;
      }
      case "pickTarget":
        return this.pickTarget(message.kind);
      case "run":
        await startRun(this.deps, message.workflow, message.target, (update) => this.post(update));
        return this.loadHistory();
      case "cancelRun": {
        try {
          const answer = await this.deps.client.request(ext.cancelRun, { runId: message.runId });
          this.deps.output.info(`Cancel run ${message.runId}: cancelled=${answer.cancelled}, status=${answer.status}`);
        } catch (error) {
          // The button must not stay at "Cancelling…" when the server could not cancel.
          this.post({ type: "cancelFailed", runId: message.runId, message: describeError(error).message });
        }
        return;
      }
      case "openRun":
        this.postStoredReport(message.runId, true);
        return;
      case "moreFindings":
        return this.moreFindings(message.runId, message.offset);
      case "reveal": {
        const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
        const file = workspaceFilePath(message.uri, folders, process.platform);
        if (!file.ok) {
          this.deps.output.warn(`The dashboard asked to open ${message.uri}; refused: ${file.reason}.`);
          return;
        }
        const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file.path));
        const { start, end } = message.range;
        const range = new vscode.Range(start.line, start.character, end.line, end.character);
        await vscode.window.showTextDocument(document, { selection: range, viewColumn: vscode.ViewColumn.One });
        return;
      }
      case "command":
        await vscode.commands.executeCommand(message.command);
        return;
    }
  }

  private postStoredReport(runId: string, explain: boolean): void {
    const stored = this.deps.workspaceState.get<Record<string, RunResult>>(REPORTS_KEY, {})[runId];
    if (stored) {
      this.post({ type: "runFinished", workflow: stored.workflow, target: stored.target, result: stored,
        relPaths: relPaths(stored.report.findings ?? []), trusted: vscode.workspace.isTrusted });
    } else if (explain) {
      this.post({ type: "error", message: "That run's report is not kept in this window; only its summary is." });
    }
  }

  /** Tells the webview whether Run can go ahead for this target; false when it cannot. */
  private async postTargetStatus(target: string): Promise<boolean> {
    const status = await targetStatus(target);
    this.post({ type: "targetStatus", target, ...status });
    return status.exists;
  }

  private async moreFindings(runId: string, offset: number): Promise<void> {
    try {
      const page = await this.deps.client.request(ext.runFindings, { runId, offset, limit: FINDINGS_PAGE });
      this.post({ type: "findingsPage", runId, findings: page.findings, relPaths: relPaths(page.findings),
        nextOffset: page.nextOffset ?? null, total: page.total });
    } catch (error) {
      this.post({ type: "error", message: `More findings: ${describeError(error).message}` });
    }
  }

  private async load(): Promise<void> {
    if (!this.deps.client.running) return;
    try {
      const answer = await this.deps.client.request(ext.listWorkflows, {});
      this.loaded = true;
      const trusted = (answer as Record<string, unknown>)[WIRE.workflows.workspaceTrusted];
      this.post({ type: "workflows", workflows: answer.workflows, ...(typeof trusted === "boolean" ? { workspaceTrusted: trusted } : {}) });
    } catch (error) {
      this.post({ type: "error", message: `Workflows: ${describeError(error).message}` });
    }
    await this.loadHistory();
  }

  private async loadHistory(): Promise<void> {
    try {
      const [{ runs }, report] = await Promise.all([
        this.deps.client.request(ext.runs, { limit: 20 }),
        this.deps.client.request(ext.report, { days: 30 }),
      ]);
      const reportable = Object.keys(this.deps.workspaceState.get<Record<string, RunResult>>(REPORTS_KEY, {}));
      this.post({ type: "runs", runs, reportable });
      this.post({ type: "usage", report });
    } catch (error) {
      this.post({ type: "error", message: `History: ${describeError(error).message}` });
    }
  }

  private currentFileTarget(): { target: string; label: string } {
    const editor = this.deps.lastFileEditor();
    if (editor) {
      const rel = relativeTarget(editor.document.uri);
      return { target: rel, label: `current file (${rel})` };
    }
    return { target: ".", label: "whole workspace" };
  }

  private async pickTarget(kind: "file" | "folder" | "workspace"): Promise<void> {
    if (kind === "workspace") {
      this.post({ type: "target", target: ".", label: "whole workspace" });
    } else if (kind === "file") {
      this.post({ type: "target", ...this.currentFileTarget() });
    } else {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      const folder = picked?.[0];
      if (folder) this.post({ type: "target", target: relativeTarget(folder), label: `folder ${relativeTarget(folder)}` });
    }
  }
}

export function relativeTarget(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return uri.toString();
  const rel = path.relative(folder.uri.fsPath, uri.fsPath);
  return rel === "" ? "." : rel.split(path.sep).join("/");
}

export function newRunId(): string {
  return randomUUID();
}
