/**
 * What the dashboard restores after a reload: its workflow, target and last report. Both the
 * webview (vscode.setState) and the host (workspaceState) keep a copy, because either may come
 * back stale or empty: code-server revived the panel with an older webview state in the e2e.
 * The newer copy wins. Pure: unit-tested.
 */
export interface KeptChoice {
  workflow?: string;
  target?: string;
  lastRunId?: string;
  /** Date.now() when chosen: the webview's state and this copy may each be the stale one after a reload. */
  savedAt?: number;
}

/** The newer of what the webview kept and what the host kept. */
export function newerChoice(fromWebview: KeptChoice, fromHost: KeptChoice): { choice: KeptChoice; hostWins: boolean } {
  const hostWins = fromHost.target !== undefined && (fromWebview.target === undefined || (fromHost.savedAt ?? 0) > (fromWebview.savedAt ?? 0));
  return hostWins
    ? { choice: { ...fromWebview, ...fromHost, lastRunId: fromHost.lastRunId ?? fromWebview.lastRunId }, hostWins }
    : { choice: { ...fromHost, ...fromWebview, lastRunId: fromWebview.lastRunId ?? fromHost.lastRunId }, hostWins };
}
