/**
 * Keel: Fix All Safe. Applies the rule fixes labelled safe in the active Python file, never an
 * unsafe or model-proposed one. It asks the server's `source.fixAll.keel` code action first (the
 * same kind VS Code's "source.fixAll" on save runs, as Ruff offers); an older server without it
 * gets the same result from keel/analyze + keel/generateFix, filtered here on `safety`.
 */
import * as vscode from "vscode";
import * as ext from "../lspExt";
import type { FixProposal } from "../protocol/keel-protocol";
import type { KeelClient } from "../lifecycle/keelClient";
import { describeError } from "../errors";
import { disjointFixes } from "./textEdits";

export const FIX_ALL_KIND = "source.fixAll.keel";

export interface FixAllOutcome {
  applied: number;
  unsafeLeft: number;
  message: string;
}

async function viaCodeAction(document: vscode.TextDocument): Promise<boolean> {
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>(
    "vscode.executeCodeActionProvider", document.uri, whole, FIX_ALL_KIND);
  const action = actions?.find((a) => a.kind?.value === FIX_ALL_KIND && a.edit);
  if (!action?.edit) return false;
  return vscode.workspace.applyEdit(action.edit);
}

export async function fixAllSafe(client: KeelClient, document: vscode.TextDocument): Promise<FixAllOutcome> {
  const uri = document.uri.toString();
  const analysis = await client.request(ext.analyze, { uri });
  const fixable = analysis.findings.filter((f) => f.fixable);
  const safe = fixable.filter((f) => f.fixSafety === "safe");
  const unsafeLeft = fixable.length - safe.length;
  const left = unsafeLeft ? ` ${unsafeLeft} unsafe fix${unsafeLeft === 1 ? " is" : "es are"} left for review in the Refactor Advisor.` : "";
  if (!safe.length) return { applied: 0, unsafeLeft, message: `No safe fixes in ${vscode.workspace.asRelativePath(document.uri)}.${left}` };
  const version = document.version;
  if (await viaCodeAction(document).catch(() => false)) {
    return { applied: safe.length, unsafeLeft, message: `Applied ${safe.length} safe fix${safe.length === 1 ? "" : "es"}.${left}` };
  }
  const proposals: FixProposal[] = [];
  for (const finding of safe) {
    try {
      const proposal = await client.request(ext.generateFix, { uri, findingId: finding.id });
      if (proposal.source === "rule" && proposal.safety === "safe") proposals.push(proposal);
    } catch (error) {
      if (describeError(error).kind === "cancelled") throw error;
    }
  }
  if (document.version !== version) {
    return { applied: 0, unsafeLeft, message: "The file changed while the fixes were prepared; run Fix All Safe again." };
  }
  const { kept, skipped } = disjointFixes(proposals);
  const edit = new vscode.WorkspaceEdit();
  for (const proposal of kept) {
    for (const e of proposal.edits) {
      edit.replace(document.uri, new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
    }
  }
  if (kept.length && !(await vscode.workspace.applyEdit(edit))) {
    return { applied: 0, unsafeLeft, message: "VS Code refused the edit." };
  }
  const again = skipped.length ? ` ${skipped.length} overlapped another fix: run Fix All Safe again for them.` : "";
  return { applied: kept.length, unsafeLeft, message: `Applied ${kept.length} safe fix${kept.length === 1 ? "" : "es"}.${again}${left}` };
}
