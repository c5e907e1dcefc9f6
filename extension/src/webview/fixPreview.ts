/** A read-only virtual document with a proposed fix applied, for `vscode.diff`. */
import * as vscode from "vscode";
import type { TextEdit } from "../protocol/keel-protocol";
import { applyTextEdits } from "./textEdits";

export const FIX_SCHEME = "keel-fix";

export class FixPreviewProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(document: vscode.TextDocument, findingId: string, edits: TextEdit[]): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: FIX_SCHEME, path: document.uri.path, query: new URLSearchParams({ finding: findingId }).toString(),
    });
    this.contents.set(uri.toString(), applyTextEdits(document.getText(), edits, (p) => document.offsetAt(new vscode.Position(p.line, p.character))));
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "";
  }
}
