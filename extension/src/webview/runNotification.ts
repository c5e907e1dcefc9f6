/**
 * A VS Code progress notification for a workflow run, fed by the same keel/runEvent stream as the
 * dashboard (runProgress.ts): the stage and part, tokens and cost so far, retries, fallbacks and
 * elapsed time against the deadline stay visible when the dashboard is hidden, and its Cancel
 * cancels the run. The server's own window/workDoneProgress (when it creates one) shows in the
 * status bar; this one is the notification a user sees.
 */
import * as vscode from "vscode";
import type { RunEvent } from "../protocol/keel-protocol";
import { applyEvent, newProgress, percentOf, summaryLine } from "./runProgress";

const TICK_MS = 1000;

export interface RunNotificationDeps {
  onRunEvent: vscode.Event<RunEvent>;
  cancel(runId: string): Promise<void>;
}

export function runDeadlineMs(): number {
  const configured = vscode.workspace.getConfiguration("keel").get<number | null>("timeouts.runWorkflowMs");
  return typeof configured === "number" && configured > 0 ? configured : 300_000;
}

/** Shows the notification until `done` settles. `clientRunId` names the run until the server's id is known. */
export function showRunNotification(deps: RunNotificationDeps, title: string, clientRunId: string,
  done: Promise<unknown>): void {
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (report, token) => {
      const progress = newProgress(clientRunId, runDeadlineMs());
      progress.startedAt = Date.now();
      let serverRunId: string | undefined;
      let reported = 0;
      const show = (): void => {
        const percent = percentOf(progress);
        const increment = percent === undefined ? undefined : Math.max(percent - reported, 0);
        if (increment) reported += increment;
        report.report({ message: summaryLine(progress, Date.now()), ...(increment ? { increment } : {}) });
      };
      const subscription = deps.onRunEvent((event) => {
        if (event.clientRunId === clientRunId || event.runId === serverRunId || event.runId === clientRunId) {
          serverRunId = event.runId;
          progress.runId = event.runId;
          applyEvent(progress, event, Date.now());
          show();
        }
      });
      const cancelled = token.onCancellationRequested(() => void deps.cancel(serverRunId ?? clientRunId));
      const timer = setInterval(show, TICK_MS);
      show();
      try {
        await done.catch(() => undefined);
      } finally {
        clearInterval(timer);
        subscription.dispose();
        cancelled.dispose();
      }
    });
}
