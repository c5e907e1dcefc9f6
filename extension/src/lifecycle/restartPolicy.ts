/**
 * When the server dies on its own: restart it after a growing delay, and give up (a visible
 * stopped state with a Restart action) after too many crashes in a short window. Pure: the
 * caller passes the clock, so tests run on fake time.
 */
export interface RestartPolicyOptions {
  /** Crashes allowed inside `windowMs` before the client stops trying. */
  maxCrashes: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxCrashes: 4,
  windowMs: 3 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export type CrashDecision =
  | { action: "restart"; delayMs: number; crashes: number }
  | { action: "stop"; crashes: number };

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  onCrash(nowMs: number): CrashDecision {
    this.crashes = this.crashes.filter((at) => nowMs - at < this.options.windowMs);
    this.crashes.push(nowMs);
    const crashes = this.crashes.length;
    if (crashes > this.options.maxCrashes) return { action: "stop", crashes };
    const delayMs = Math.min(this.options.baseDelayMs * 2 ** (crashes - 1), this.options.maxDelayMs);
    return { action: "restart", delayMs, crashes };
  }

  /** A manual restart (or a settings change) starts the count afresh. */
  reset(): void {
    this.crashes = [];
  }
}
