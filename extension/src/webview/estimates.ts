/**
 * Live estimates while the user types or picks: each new request supersedes the previous one
 * (its token is cancelled), and an answer is delivered only if it belongs to the newest request,
 * so an older answer never replaces a newer one. A superseded or cancelled answer is dropped
 * silently: it is not an error the user should see.
 */
import { describeError, type DescribedError } from "../errors";

export interface Cancellable {
  cancel(): void;
}

export type EstimateOutcome<T> =
  | { kind: "result"; seq: number; value: T }
  | { kind: "error"; seq: number; error: DescribedError }
  | { kind: "dropped"; seq: number };

export class LatestOnly<P, T> {
  private seq = 0;
  private inFlight: Cancellable | undefined;

  constructor(private readonly send: (params: P, cancel: (c: Cancellable) => void) => Promise<T>) {}

  /** Starts a request for `params`; resolves with what (if anything) should be shown. */
  async request(params: P): Promise<EstimateOutcome<T>> {
    const seq = ++this.seq;
    this.inFlight?.cancel();
    this.inFlight = undefined;
    try {
      const value = await this.send(params, (c) => {
        if (seq === this.seq) this.inFlight = c;
        else c.cancel();
      });
      return seq === this.seq ? { kind: "result", seq, value } : { kind: "dropped", seq };
    } catch (error) {
      const described = describeError(error);
      if (seq !== this.seq || described.kind === "superseded" || described.kind === "cancelled") {
        return { kind: "dropped", seq };
      }
      return { kind: "error", seq, error: described };
    }
  }

  get latest(): number {
    return this.seq;
  }
}
