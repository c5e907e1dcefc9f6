/**
 * Asks the server for `keel/health` every `intervalMs`; an answer that has not come within
 * `deadlineMs` marks the server "not responding" (the status bar says so) until one comes.
 * Timers are injected so tests drive it on fake time.
 */
import type { HealthReport } from "../protocol/keel-protocol";

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthWatchOptions {
  intervalMs: number;
  deadlineMs: number;
}

export const DEFAULT_HEALTH_WATCH: HealthWatchOptions = { intervalMs: 15_000, deadlineMs: 5_000 };

export class HealthWatch {
  private intervalHandle: unknown;
  private running = false;
  private generation = 0;

  constructor(
    private readonly probe: (abort: AbortSignal) => Promise<HealthReport>,
    private readonly onReport: (report: HealthReport) => void,
    private readonly onResponsive: (responsive: boolean) => void,
    private readonly timers: Timers = globalThis as unknown as Timers,
    private readonly options: HealthWatchOptions = DEFAULT_HEALTH_WATCH,
  ) {}

  start(): void {
    this.stop();
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.generation += 1;
    if (this.intervalHandle !== undefined) this.timers.clearTimeout(this.intervalHandle);
    this.intervalHandle = undefined;
  }

  /** One probe now; resolves when it is answered or its deadline passes. */
  async check(): Promise<void> {
    const generation = this.generation;
    const abort = new AbortController();
    let late = false;
    const deadline = this.timers.setTimeout(() => {
      late = true;
      abort.abort();
      if (generation === this.generation) this.onResponsive(false);
    }, this.options.deadlineMs);
    try {
      const report = await this.probe(abort.signal);
      if (generation !== this.generation) return;
      this.onResponsive(true);
      this.onReport(report);
    } catch {
      // A failed or cancelled probe says nothing new: the deadline or the client's state does.
      if (!late && generation === this.generation) this.onResponsive(true);
    } finally {
      this.timers.clearTimeout(deadline);
    }
  }

  private schedule(delayMs: number): void {
    this.intervalHandle = this.timers.setTimeout(() => {
      if (!this.running) return;
      void this.check().finally(() => {
        if (this.running) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
  }
}
