/**
 * The Refactor Advisor: Analyze the active Python editor (unsaved text included), Cancel that
 * answers at once, findings by severity and rule, Generate fix → diff preview → Apply only while
 * the document version still matches. Its state survives closing and reopening the panel.
 */
import * as vscode from "vscode";
import * as ext from "../lspExt";
import type { FixProposal } from "../protocol/keel-protocol";
import type { KeelClient } from "../lifecycle/keelClient";
import { describeError } from "../errors";
import { statusView } from "../status/statusModel";
import { AdvisorMessage, type AdvisorState, type AdvisorUpdate } from "./messages";
import { KeelPanel } from "./panelBase";
import { FIX_SCHEME, type FixPreviewProvider } from "./fixPreview";

const STATE_KEY = "keel.advisorState";

export interface AdvisorDeps {
  client: KeelClient;
  extensionUri: vscode.Uri;
  workspaceState: vscode.Memento;
  output: vscode.LogOutputChannel;
  previews: FixPreviewProvider;
  /** The Python editor the user last worked in (the panel itself takes focus). */
  lastPythonEditor(): vscode.TextEditor | undefined;
}

interface PendingFix {
  proposal: FixProposal;
  version: number;
}

export class AdvisorPanel extends KeelPanel<AdvisorMessage, AdvisorUpdate> {
  static current: AdvisorPanel | undefined;
  private state: AdvisorState;
  private analysis: vscode.CancellationTokenSource | undefined;
  private analysisSeq = 0;
  private readonly fixes = new Map<string, PendingFix>();

  /** Adopts a panel VS Code restored after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, deps: AdvisorDeps): AdvisorPanel {
    AdvisorPanel.current?.dispose();
    AdvisorPanel.current = new AdvisorPanel(panel, deps);
    return AdvisorPanel.current;
  }

  static show(deps: AdvisorDeps): AdvisorPanel {
    if (AdvisorPanel.current && !AdvisorPanel.current.isDisposed) {
      AdvisorPanel.current.panel.reveal();
      return AdvisorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel("keel.advisor", "Keel Refactor Advisor", vscode.ViewColumn.Beside,
      { enableScripts: true, retainContextWhenHidden: true });
    AdvisorPanel.current = new AdvisorPanel(panel, deps);
    return AdvisorPanel.current;
  }

  private constructor(panel: vscode.WebviewPanel, private readonly deps: AdvisorDeps) {
    super(panel, deps.extensionUri, "advisor", AdvisorMessage, deps.output);
    const saved = deps.workspaceState.get<AdvisorState>(STATE_KEY);
    // A panel closed mid-analysis comes back idle, not spinning.
    this.state = saved
      ? { ...saved, phase: saved.phase === "analyzing" ? "idle" : saved.phase, trusted: vscode.workspace.isTrusted }
      : { phase: "idle", decisions: {}, proposals: {}, trusted: vscode.workspace.isTrusted };
    this.disposables.push(deps.client.onDidChangeStatus((status) => this.post({ type: "health", view: statusView(status) })));
  }

  override dispose(): void {
    this.analysis?.cancel();
    if (AdvisorPanel.current === this) AdvisorPanel.current = undefined;
    super.dispose();
  }

  protected async handle(message: AdvisorMessage): Promise<void> {
    switch (message.type) {
      case "ready":
        this.post({ type: "health", view: statusView(this.deps.client.current) });
        this.publish();
        return;
      case "analyze":
        return this.analyze();
      case "cancel":
        return this.cancel();
      case "reveal":
        return this.reveal(message.findingId);
      case "generateFix":
        return this.generateFix(message.findingId);
      case "applyFix":
        return this.applyFix(message.findingId);
      case "dismiss":
        this.update({ decisions: { ...this.state.decisions, [message.findingId]: "dismissed" } });
        return;
      case "command":
        await vscode.commands.executeCommand(message.command);
        return;
    }
  }

  async analyze(note?: string): Promise<void> {
    const editor = this.deps.lastPythonEditor();
    if (!editor) {
      this.update({ phase: "failed", message: "Open a Python file first: Analyze works on the active Python editor." });
      return;
    }
    this.analysis?.cancel();
    const source = new vscode.CancellationTokenSource();
    this.analysis = source;
    const seq = ++this.analysisSeq;
    const document = editor.document;
    const sameFile = this.state.uri === document.uri.toString();
    this.update({
      phase: "analyzing", uri: document.uri.toString(), fileName: vscode.workspace.asRelativePath(document.uri),
      version: document.version, message: note ?? `Analysing ${vscode.workspace.asRelativePath(document.uri)}…`,
      ...(sameFile ? {} : { result: undefined, decisions: {}, proposals: {} }),
    });
    try {
      const result = await this.deps.client.request(ext.analyze, { uri: document.uri.toString() }, source.token);
      if (seq !== this.analysisSeq || source.token.isCancellationRequested) return;
      const count = result.findings.length;
      this.update({ phase: "done", result, version: document.version,
        message: `${note ? `${note} ` : ""}${count} finding${count === 1 ? "" : "s"} in ${result.durationMs} ms.` });
    } catch (error) {
      if (seq !== this.analysisSeq) return;
      const described = describeError(error);
      if (described.kind === "cancelled") this.update({ phase: "cancelled", message: "Analysis cancelled." });
      else if (described.kind === "timeout") this.update({ phase: "timedOut", message: `Analysis timed out: ${described.message}` });
      else this.update({ phase: "failed", message: `Analysis failed: ${described.message}` });
    } finally {
      source.dispose();
      if (this.analysis === source) this.analysis = undefined;
    }
  }

  /** Cancels at once: the UI goes idle now; the server's -32800 answer is then ignored. */
  private async cancel(): Promise<void> {
    if (!this.analysis) return;
    this.analysis.cancel();
    this.analysisSeq += 1;
    this.analysis = undefined;
    this.update({ phase: "cancelled", message: "Analysis cancelled." });
  }

  private finding(findingId: string): { document: Thenable<vscode.TextDocument>; range: vscode.Range } | undefined {
    const finding = this.state.result?.findings.find((f) => f.id === findingId);
    if (!finding || !this.state.uri) return undefined;
    const { start, end } = finding.range;
    return {
      document: vscode.workspace.openTextDocument(vscode.Uri.parse(this.state.uri)),
      range: new vscode.Range(start.line, start.character, end.line, end.character),
    };
  }

  private async reveal(findingId: string): Promise<void> {
    const found = this.finding(findingId);
    if (!found) return;
    await vscode.window.showTextDocument(await found.document, { selection: found.range, viewColumn: vscode.ViewColumn.One });
  }

  private async generateFix(findingId: string): Promise<void> {
    const found = this.finding(findingId);
    if (!found || !this.state.uri) return;
    const document = await found.document;
    try {
      const proposal = await this.deps.client.request(ext.generateFix, { uri: this.state.uri, findingId });
      if (proposal.source === "llm" && !vscode.workspace.isTrusted) {
        this.update({ message: "Model-proposed fixes need a trusted workspace." });
        return;
      }
      this.fixes.set(findingId, { proposal, version: proposal.version ?? document.version });
      const preview = this.deps.previews.set(document, findingId, proposal.edits);
      const label = proposal.source === "llm" ? "model-proposed fix (review before applying)"
        : proposal.safety === "unsafe" ? "UNSAFE rule fix (changes behaviour: review before applying)" : "safe rule fix";
      await vscode.commands.executeCommand("vscode.diff", document.uri, preview,
        `${vscode.workspace.asRelativePath(document.uri)} ↔ Keel ${label}`, { viewColumn: vscode.ViewColumn.One, preview: true });
      this.update({
        decisions: { ...this.state.decisions, [findingId]: "previewed" },
        proposals: { ...this.state.proposals, [findingId]: {
          source: proposal.source, explanation: proposal.explanation, provider: proposal.provider ?? null, model: proposal.model ?? null,
          safety: proposal.safety ?? null, safetyReason: proposal.safetyReason ?? null, title: proposal.title ?? null,
        } },
      });
    } catch (error) {
      this.update({ message: `Could not generate a fix: ${describeError(error).message}` });
    }
  }

  private async applyFix(findingId: string): Promise<void> {
    const pending = this.fixes.get(findingId);
    const found = this.finding(findingId);
    if (!pending || !found) {
      this.update({ message: "Generate the fix first." });
      return;
    }
    const document = await found.document;
    if (document.version !== pending.version) {
      this.fixes.clear();
      // Every preview is stale now: back to "Generate fix".
      const decisions = Object.fromEntries(Object.entries(this.state.decisions).filter(([, d]) => d !== "previewed"));
      this.update({ decisions, proposals: {} });
      await this.analyze("The file changed since the fix was generated, so it was re-analysed; generate the fix again.");
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    for (const e of pending.proposal.edits) {
      edit.replace(document.uri, new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
      this.update({ message: "VS Code refused the edit." });
      return;
    }
    this.fixes.delete(findingId);
    await this.closePreview(findingId);
    this.update({ decisions: { ...this.state.decisions, [findingId]: "applied" } });
    await this.analyze("Fix applied (undo with the editor's Undo).");
  }

  /** Closes the diff of a fix once it is applied (it would only show the file against itself). */
  private async closePreview(findingId: string): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) =>
      tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === FIX_SCHEME
      && new URLSearchParams(tab.input.modified.query).get("finding") === findingId);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  }

  private update(change: Partial<AdvisorState>): void {
    this.state = { ...this.state, ...change, trusted: vscode.workspace.isTrusted };
    void this.deps.workspaceState.update(STATE_KEY, this.state);
    this.publish();
  }

  private publish(): void {
    this.post({ type: "state", state: this.state });
  }
}
