/**
 * The dashboard: workflows, target picker with a live estimate, Run / attach / Cancel with
 * per-stage progress, the report, recent runs and usage. The host only forwards: every answer
 * comes from the server.
 */
import * as vscode from "vscode";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import * as ext from "../lspExt";
import type { CostEstimate, EstimateCostParams, RunResult } from "../protocol/keel-protocol";
import type { KeelClient } from "../lifecycle/keelClient";
import { describeError } from "../errors";
import { statusView } from "../status/statusModel";
import { LatestOnly } from "./estimates";
import { DashboardMessage, type DashboardUpdate } from "./messages";
import { workspaceFilePath } from "./reveal";
import { KeelPanel } from "./panelBase";
import { RunTracker } from "./runs";
import { runWithinBudget } from "./budgetDialog";

const REPORTS_KEY = "keel.runResults";
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
  if (!vscode.workspace.isTrusted && await sendsCodeToProvider(deps, workflow)) {
    notify({ type: "runFailed", workflow, target, runId: "",
      message: `${workflow} sends code to a model provider, which needs a trusted workspace (Manage Workspace Trust).` });
    return;
  }
  const outcome = deps.runs.start(workflow, target, (runId) => runWithinBudget(
    (params) => deps.client.request(ext.runWorkflow, params), { workflow, target, runId }, vscode.window));
  const { run } = outcome;
  notify({ type: "runStarted", workflow, target, runId: run.clientRunId, attached: outcome.attached });
  try {
    const result = await run.result;
    if (!outcome.attached) await rememberResult(deps.workspaceState, result);
    notify({ type: "runFinished", workflow, target, result });
  } catch (error) {
    notify({ type: "runFailed", workflow, target, runId: run.clientRunId, message: describeError(error).message });
  }
}

/** True when the workflow has a model stage (and so would send code out). */
async function sendsCodeToProvider(deps: DashboardDeps, workflow: string): Promise<boolean> {
  const { workflows } = await deps.client.request(ext.listWorkflows, {});
  const info = workflows.find((w) => w.id === workflow);
  return info === undefined || info.stages.some((stage) => stage.kind === "llm");
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
    );
  }

  private loaded = false;

  override dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    super.dispose();
  }

  protected async handle(message: DashboardMessage): Promise<void> {
    switch (message.type) {
      case "ready":
        this.post({ type: "health", view: statusView(this.deps.client.current) });
        this.post({ type: "target", ...this.currentFileTarget() });
        for (const run of this.deps.runs.inFlight()) {
          const [workflow, target] = JSON.parse(run.key) as [string, string];
          this.post({ type: "runStarted", workflow, target, runId: run.clientRunId, attached: true });
        }
        return this.load();
      case "refresh":
        return this.load();
      case "estimate": {
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
        const answer = await this.deps.client.request(ext.cancelRun, { runId: message.runId });
        this.deps.output.info(`Cancel run ${message.runId}: cancelled=${answer.cancelled}, status=${answer.status}`);
        return;
      }
      case "openRun": {
        const stored = this.deps.workspaceState.get<Record<string, RunResult>>(REPORTS_KEY, {})[message.runId];
        if (stored) this.post({ type: "runFinished", workflow: stored.workflow, target: stored.target, result: stored });
        else this.post({ type: "error", message: "That run's report is not kept in this window; only its summary is." });
        return;
      }
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

  private async load(): Promise<void> {
    if (!this.deps.client.running) return;
    try {
      const { workflows } = await this.deps.client.request(ext.listWorkflows, {});
      this.loaded = true;
      this.post({ type: "workflows", workflows });
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
