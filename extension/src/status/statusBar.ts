/** Applies a StatusView to the one status bar item. */
import * as vscode from "vscode";
import { statusView, tooltipMarkdown, type StatusInput, type StatusView } from "./statusModel";

const TOOLTIP_COMMANDS = [
  "keel.restartServer", "keel.showLog", "keel.runDoctor", "keel.setApiKey", "workbench.action.openSettings",
];

export class KeelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("keel.status", vscode.StatusBarAlignment.Left, 10);
  view: StatusView | undefined;

  constructor() {
    this.item.name = "Keel";
    this.item.command = "keel.showDashboard";
    this.item.show();
  }

  update(input: StatusInput): StatusView {
    const view = statusView(input);
    this.view = view;
    this.item.text = view.text;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    const tooltip = new vscode.MarkdownString(tooltipMarkdown(view), true);
    tooltip.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Keel: ${view.state}. ${view.summary}` };
    return view;
  }

  dispose(): void {
    this.item.dispose();
  }
}
