/**
 * Runs in flight, keyed by workflow and target: a second Run of the same workflow on the same
 * target attaches to the run already in flight instead of starting another (the server
 * deduplicates too; this keeps a second click from even sending a request).
 */
export interface TrackedRun<T> {
  key: string;
  clientRunId: string;
  /** The server's run id, once a runEvent or the result has named it. */
  runId?: string;
  result: Promise<T>;
}

export interface StartOutcome<T> {
  attached: boolean;
  run: TrackedRun<T>;
}

export function runKey(workflow: string, target: string): string {
  return JSON.stringify([workflow, target]);
}

export class RunTracker<T> {
  private readonly runs = new Map<string, TrackedRun<T>>();

  constructor(private readonly newId: () => string) {}

  start(workflow: string, target: string, launch: (clientRunId: string) => Promise<T>): StartOutcome<T> {
    const key = runKey(workflow, target);
    const existing = this.runs.get(key);
    if (existing) return { attached: true, run: existing };
    const clientRunId = this.newId();
    const result = launch(clientRunId);
    const run: TrackedRun<T> = { key, clientRunId, result };
    this.runs.set(key, run);
    const forget = (): void => {
      if (this.runs.get(key) === run) this.runs.delete(key);
    };
    result.then(forget, forget);
    return { attached: false, run };
  }

  /** Records the server's run id for the run the client started as `clientRunId`. */
  nameRun(clientRunId: string, runId: string): TrackedRun<T> | undefined {
    for (const run of this.runs.values()) {
      if (run.clientRunId === clientRunId || run.runId === runId) {
        run.runId = runId;
        return run;
      }
    }
    return undefined;
  }

  inFlight(): TrackedRun<T>[] {
    return [...this.runs.values()];
  }

  byRunId(runId: string): TrackedRun<T> | undefined {
    return this.inFlight().find((run) => run.runId === runId);
  }
}
