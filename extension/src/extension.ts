/**
 * Keel for VS Code: a thin client. It starts `keel serve`, forwards clicks, and draws state;
 * everything slow or fallible happens in the server.
 */
import * as vscode from "vscode";
import * as ext from "./lspExt";
import type { RunResult } from "./protocol/keel-protocol";
import { affectsServer, machineSafeReader, warnOncePerKey, type SettingReader } from "./config";
import { describeError } from "./errors";
import { KeelClient } from "./lifecycle/keelClient";
import { Provisioner } from "./provisioning/provision";
import { ApiKeys } from "./secrets";
import { KeelStatusBar } from "./status/statusBar";
import { AdvisorPanel, type AdvisorDeps } from "./webview/advisorPanel";
import { DashboardPanel, newRunId, relativeTarget, startRun, type DashboardDeps } from "./webview/dashboardPanel";
import { FIX_SCHEME, FixPreviewProvider } from "./webview/fixPreview";
import { fixAllSafe } from "./webview/fixAll";
import { runStatusWord } from "./webview/runProgress";
import { RunTracker } from "./webview/runs";

let keel: KeelClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ client: KeelClient }> {
  const output = vscode.window.createOutputChannel("Keel", { log: true });
  const provisioner = new Provisioner(context, output);
  const ignoredWorkspaceValue = warnOncePerKey((message) => output.warn(message));
  const settings = (): SettingReader => machineSafeReader(vscode.workspace.getConfiguration("keel"), ignoredWorkspaceValue);
  const keys = new ApiKeys(context.secrets, settings);
  const client = new KeelClient({
    output,
    resolveServer: () => provisioner.resolveServer(),
    serverEnv: () => keys.serverEnvironment(),
    settings,
  });
  keel = client;
  const statusBar = new KeelStatusBar();
  statusBar.update(client.current);
  const previews = new FixPreviewProvider();
  const runs = new RunTracker<RunResult>(newRunId);

  let lastPython: vscode.TextEditor | undefined = pythonEditor(vscode.window.activeTextEditor);
  let lastFile: vscode.TextEditor | undefined = fileEditor(vscode.window.activeTextEditor);
  const dashboardDeps: DashboardDeps = {
    client, extensionUri: context.extensionUri, workspaceState: context.workspaceState, output, runs,
    lastFileEditor: () => fileEditor(vscode.window.activeTextEditor) ?? (lastFile && !lastFile.document.isClosed ? lastFile : undefined),
  };
  const advisorDeps: AdvisorDeps = {
    client, extensionUri: context.extensionUri, workspaceState: context.workspaceState, output, previews,
    lastPythonEditor: () => pythonEditor(vscode.window.activeTextEditor) ?? (lastPython && !lastPython.document.isClosed ? lastPython : undefined)
      ?? vscode.window.visibleTextEditors.find((e) => pythonEditor(e)),
  };

  const command = (id: string, fn: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
  };
  command("keel.showDashboard", () => DashboardPanel.show(dashboardDeps));
  command("keel.showAdvisor", () => AdvisorPanel.show(advisorDeps));
  command("keel.analyzeFile", async () => {
    const panel = AdvisorPanel.show(advisorDeps);
    await panel.analyze();
  });
  command("keel.fixAllSafe", async () => {
    const editor = advisorDeps.lastPythonEditor();
    if (!editor) {
      void vscode.window.showInformationMessage("Keel: open a Python file first; Fix All Safe works on the active Python editor.");
      return;
    }
    try {
      const outcome = await fixAllSafe(client, editor.document);
      void vscode.window.showInformationMessage(`Keel: ${outcome.message}`);
      if (AdvisorPanel.current && !AdvisorPanel.current.isDisposed) await AdvisorPanel.current.analyze(outcome.message);
    } catch (error) {
      void vscode.window.showErrorMessage(`Keel: Fix All Safe failed: ${describeError(error).message}`);
    }
  });
  command("keel.restartServer", () => client.restart());
  command("keel.showLog", () => output.show());
  command("keel.openSettings", () => vscode.commands.executeCommand("workbench.action.openSettings", "keel"));
  command("keel.chooseInterpreter", async () => {
    if (await provisioner.chooseInterpreter()) await client.restart();
  });
  command("keel.setApiKey", (providerId?: string) => keys.promptAndStore(typeof providerId === "string" ? providerId : undefined));
  command("keel.runDoctor", () => runDoctor(client, output));
  command("keel.runWorkflow", (workflow?: string, target?: string) => runWorkflowCommand(dashboardDeps, workflow, target));

  context.subscriptions.push(
    output, statusBar, client,
    vscode.workspace.registerTextDocumentContentProvider(FIX_SCHEME, previews),
    vscode.window.registerWebviewPanelSerializer("keel.dashboard", {
      deserializeWebviewPanel: async (panel) => { DashboardPanel.revive(panel, dashboardDeps); },
    }),
    vscode.window.registerWebviewPanelSerializer("keel.advisor", {
      deserializeWebviewPanel: async (panel) => { AdvisorPanel.revive(panel, advisorDeps); },
    }),
    vscode.window.registerTreeDataProvider("keel.home", { getChildren: () => [], getTreeItem: (item: vscode.TreeItem) => item }),
    client.onDidChangeStatus((status) => {
      statusBar.update(status);
      void vscode.commands.executeCommand("setContext", "keel.serverState", statusBar.view?.state);
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      lastPython = pythonEditor(editor) ?? lastPython;
      lastFile = fileEditor(editor) ?? lastFile;
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const effect = affectsServer((section) => event.affectsConfiguration(section));
      if (effect === "restart") void client.restart();
      else if (effect === "notify") client.sendSettings();
    }),
    // Trust and keys are read by the server only at start: a change means a restart.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client.restart()),
    keys.onDidChange(() => {
      output.info("An API key changed; restarting the Keel server so it sees the new environment.");
      void client.restart();
    }),
  );

  void client.start();
  return { client };
}

export async function deactivate(): Promise<void> {
  await keel?.deactivate();
  keel = undefined;
}

function fileEditor(editor: vscode.TextEditor | undefined): vscode.TextEditor | undefined {
  return editor && editor.document.uri.scheme === "file" ? editor : undefined;
}

function pythonEditor(editor: vscode.TextEditor | undefined): vscode.TextEditor | undefined {
  const scheme = editor?.document.uri.scheme;
  // Not the fix preview's virtual document (also Python): only what the server can read.
  return editor && editor.document.languageId === "python" && (scheme === "file" || scheme === "untitled") ? editor : undefined;
}

async function runDoctor(client: KeelClient, output: vscode.LogOutputChannel): Promise<void> {
  try {
    const report = await client.request(ext.preflight, {});
    output.info(`Keel doctor: ${report.ok ? "all checks pass" : "some checks fail"}`);
    for (const check of report.checks) {
      output.info(`  [${check.status}] ${check.title}: ${check.message}${check.fix ? ` (fix: ${check.fix})` : ""}`);
    }
    output.show(true);
    const failing = report.checks.filter((c) => c.status === "fail");
    if (failing.length) {
      void vscode.window.showWarningMessage(`Keel doctor: ${failing.map((c) => `${c.title}: ${c.fix ?? c.message}`).join("; ")}`);
    } else {
      void vscode.window.showInformationMessage("Keel doctor: all checks pass.");
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`Keel doctor could not run: ${describeError(error).message}`, "Restart server")
      .then((choice) => choice && vscode.commands.executeCommand("keel.restartServer"));
  }
}

async function runWorkflowCommand(deps: DashboardDeps, workflow?: string, target?: string): Promise<void> {
  if (!workflow) {
    const { workflows } = await deps.client.request(ext.listWorkflows, {});
    const picked = await vscode.window.showQuickPick(
      workflows.map((w) => ({ label: w.title, description: w.id, detail: w.description, id: w.id })),
      { title: "Keel: Run Workflow", placeHolder: "Which workflow?" });
    workflow = picked?.id;
  }
  if (!workflow) return;
  const editor = deps.lastFileEditor();
  target ??= editor ? relativeTarget(editor.document.uri) : ".";
  const panel = DashboardPanel.current;
  await startRun(deps, workflow, target, (update) => {
    panel?.post(update);
    if (update.type === "runStarted" && update.attached) {
      void vscode.window.showInformationMessage(`Keel: attached to run ${update.runId.slice(0, 8)}, already in flight.`);
    }
    // Without the dashboard open nothing else would say why the command did nothing.
    if (update.type === "runFailed" && !panel) {
      void vscode.window.showErrorMessage(`Keel: ${update.message}`);
    }
    if (update.type === "runFinished") {
      void vscode.window.showInformationMessage(`Keel: ${update.result.workflow} on ${update.result.target} ${runStatusWord(update.result.status)}.`, "Show report")
        .then((choice) => {
          if (choice) DashboardPanel.show(deps).post(update);
        });
    }
  });
}
