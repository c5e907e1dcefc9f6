/**
 * Wire fields the UI reads that the generated protocol types may not name yet (issue 24: live
 * progress inside a stage, fix-safety reasons, retries per stage). Every such name is here, in one
 * place, so aligning with the server's additions (docs/protocol.md, the uisrv wire note) is one
 * edit. Each reader accepts the field missing or of the wrong type and returns undefined: an older
 * server simply shows less.
 */

/** Field names as the UI expects them on the wire. */
export const WIRE = {
  /** keel/runEvent: progress inside a stage. */
  event: {
    chunk: "chunk",
    chunks: "chunks",
    inputTokens: "inputTokens",
    outputTokens: "outputTokens",
    usd: "usd",
    elapsedMs: "elapsedMs",
    deadlineMs: "deadlineMs",
  },
  /** StageResult: how many of `attempts` were retries, and why a stage ran on its tier. */
  stage: { retries: "retries" },
  /** Finding: why its rule fix is safe or unsafe (FixProposal carries `safetyReason`). */
  finding: { fixSafetyReason: "fixSafetyReason" },
} as const;

type Bag = Record<string, unknown>;

export function num(bag: object | undefined | null, field: string): number | undefined {
  const value = (bag as Bag | undefined | null)?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function str(bag: object | undefined | null, field: string): string | undefined {
  const value = (bag as Bag | undefined | null)?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}
