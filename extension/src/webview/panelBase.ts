/** What both Keel webview panels share: HTML shell, validated inbound messages, typed outbound. */
import * as vscode from "vscode";
import type { z } from "zod";
import { parseMessage } from "./messages";
import { webviewHtml } from "./html";

export abstract class KeelPanel<In, Out> implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    script: string,
    schema: z.ZodType<In>,
    protected readonly output: vscode.LogOutputChannel,
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, "extension", "out", "webview"), vscode.Uri.joinPath(extensionUri, "extension", "media")] };
    webview.html = webviewHtml({
      title: panel.title,
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "extension", "out", "webview", `${script}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "extension", "media", "webview.css")).toString(),
    });
    this.disposables.push(webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = parseMessage(schema, raw);
      if (!parsed.ok) {
        this.output.warn(`Ignored an invalid message from the ${panel.title} webview: ${parsed.error}`);
        return;
      }
      this.handle(parsed.message).catch((error: unknown) => {
        this.output.error(`${panel.title}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }));
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
  }

  protected abstract handle(message: In): Promise<void>;

  post(message: Out): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
