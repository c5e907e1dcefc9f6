/**
 * Wire fields the UI reads that the generated protocol types may not name yet (issue 24: live
 * progress inside a stage, fix-safety reasons, retries per stage). Every such name is here, in one
 * place, so aligning with the server's additions (docs/protocol.md, the uisrv wire note) is one
 * edit. Each reader accepts the field missing or of the wrong type and returns undefined: an older
 * server simply shows less.
 */

/** Field names as the UI expects them on the wire (/work/briefs/uisrv-wire.md, branch s3-uisrv). */
export const WIRE = {
  /** keel/runEvent: `progress` (StageProgressInfo) on kind "progress", "retrying" and "fallback". */
  event: {
    progress: "progress",
    chunk: "chunk",
    chunks: "chunks",
    inputTokens: "inputTokens",
    outputTokens: "outputTokens",
    usd: "usd",
    elapsedMs: "elapsedMs",
    deadlineMs: "deadlineMs",
  },
  /** StageResult: model calls, chunks and retries; `skip` (StageSkip) when skipped. */
  stage: { calls: "calls", chunks: "chunks", retries: "retries", skip: "skip" },
  /** StageSkip.reason that a Manage Workspace Trust button answers. */
  restrictedMode: "restrictedMode",
  /** RunReport: one human summary line and the status in words. */
  report: { summary: "summary", statusText: "statusText" },
  /** UsageReport: partial runs whose only gaps were skips by design (Restricted Mode, no provider). */
  usage: { offlinePartial: "offlinePartial" },
  /** ListWorkflowsResult. */
  workflows: { workspaceTrusted: "workspaceTrusted" },
  /** Finding: why its rule fix is safe or unsafe (FixProposal carries `safetyReason`). */
  finding: { fixSafetyReason: "fixSafetyReason" },
} as const;

export interface StageSkip {
  reason: string;
  message: string;
  code?: string | null;
}

/** A stage's (StageInfo, StageEstimate, StageResult) `skip`, when well-formed. */
export function skipOf(stage: object | undefined | null): StageSkip | undefined {
  const skip = (stage as Bag | undefined | null)?.[WIRE.stage.skip];
  if (typeof skip !== "object" || skip === null) return undefined;
  const reason = str(skip, "reason");
  const message = str(skip, "message");
  return reason && message ? { reason, message, code: str(skip, "code") ?? null } : undefined;
}

/** The nested object at `field`, or undefined. */
export function obj(bag: object | undefined | null, field: string): object | undefined {
  const value = (bag as Bag | undefined | null)?.[field];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

type Bag = Record<string, unknown>;

export function num(bag: object | undefined | null, field: string): number | undefined {
  const value = (bag as Bag | undefined | null)?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function str(bag: object | undefined | null, field: string): string | undefined {
  const value = (bag as Bag | undefined | null)?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}
