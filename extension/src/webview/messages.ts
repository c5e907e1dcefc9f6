/**
 * Every message a webview may send to the extension host, as zod schemas. The host parses each
 * message before acting on it; anything else is dropped and logged (a webview is untrusted
 * input: its script could be confused by a crafted report). Host → webview messages are typed
 * only (the host builds them).
 */
import { z } from "zod";
import type {
  AnalysisResult, CostEstimate, Finding, FixProposal, RunEvent, RunResult, RunSummary, UsageReport, WorkflowInfo,
} from "../protocol/keel-protocol";
import type { StatusView } from "../status/statusModel";

const id = z.string().min(1).max(200);
const target = z.string().min(1).max(4096);
const position = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) }).strict();
const range = z.object({ start: position, end: position }).strict();
const fileUri = z.string().max(4096).refine((value) => value.startsWith("file://"), "must be a file:// URI");

/** Commands a banner or button may ask for: a closed list, so a webview cannot run anything else. */
export const WEBVIEW_COMMANDS = [
  "keel.restartServer", "keel.showLog", "keel.runDoctor", "keel.setApiKey", "keel.openSettings", "keel.showAdvisor",
  "keel.fixAllSafe", "workbench.trust.manage",
] as const;

export const DashboardMessage = z.discriminatedUnion("type", [
  // What the webview kept across a reload (vscode.setState): the host restores it rather than
  // replacing it with the current file.
  z.object({ type: z.literal("ready"), workflow: id.optional(), target: target.optional(), lastRunId: id.optional(),
    savedAt: z.number().int().min(0).optional() }).strict(),
  z.object({ type: z.literal("moreFindings"), runId: id, offset: z.number().int().min(0) }).strict(),
  z.object({ type: z.literal("refresh") }).strict(),
  z.object({ type: z.literal("estimate"), workflow: id, target }).strict(),
  z.object({ type: z.literal("pickTarget"), kind: z.enum(["file", "folder", "workspace"]) }).strict(),
  z.object({ type: z.literal("run"), workflow: id, target }).strict(),
  z.object({ type: z.literal("cancelRun"), runId: id }).strict(),
  z.object({ type: z.literal("openRun"), runId: id }).strict(),
  z.object({ type: z.literal("reveal"), uri: fileUri, range }).strict(),
  z.object({ type: z.literal("command"), command: z.enum(WEBVIEW_COMMANDS) }).strict(),
]);
export type DashboardMessage = z.infer<typeof DashboardMessage>;

export const AdvisorMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }).strict(),
  z.object({ type: z.literal("analyze") }).strict(),
  z.object({ type: z.literal("cancel") }).strict(),
  z.object({ type: z.literal("reveal"), findingId: id }).strict(),
  z.object({ type: z.literal("generateFix"), findingId: id }).strict(),
  z.object({ type: z.literal("applyFix"), findingId: id }).strict(),
  z.object({ type: z.literal("dismiss"), findingId: id }).strict(),
  z.object({ type: z.literal("command"), command: z.enum(WEBVIEW_COMMANDS) }).strict(),
]);
export type AdvisorMessage = z.infer<typeof AdvisorMessage>;

export type ParseOutcome<T> = { ok: true; message: T } | { ok: false; error: string };

/** Validates one message; the error names the field that was wrong. */
export function parseMessage<T>(schema: z.ZodType<T>, raw: unknown): ParseOutcome<T> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length ? issue.path.join(".") : "message";
  return { ok: false, error: `${where}: ${issue?.message ?? "invalid"}` };
}

// ---- host → webview (typed only: the host builds them) ----------------------------------------

export type DashboardUpdate =
  | { type: "workflows"; workflows: WorkflowInfo[]; workspaceTrusted?: boolean }
  | { type: "target"; target: string; label: string }
  | { type: "estimate"; workflow: string; target: string; estimate: CostEstimate }
  | { type: "estimateError"; message: string }
  | { type: "targetStatus"; target: string; exists: boolean; reason?: string }
  | { type: "restore"; workflow?: string; target: string }
  | { type: "trust"; trusted: boolean }
  | { type: "runStarted"; workflow: string; target: string; runId: string; attached: boolean; deadlineMs?: number }
  | { type: "runEvent"; event: RunEvent }
  | { type: "runFinished"; workflow: string; target: string; result: RunResult; relPaths?: Record<string, string>; trusted?: boolean }
  | { type: "runFailed"; workflow: string; target: string; runId: string; message: string; trusted?: boolean }
  | { type: "findingsPage"; runId: string; findings: Finding[]; relPaths: Record<string, string>; nextOffset?: number | null; total: number }
  | { type: "runs"; runs: RunSummary[]; reportable: string[] }
  | { type: "usage"; report: UsageReport }
  | { type: "health"; view: StatusView }
  | { type: "cancelFailed"; runId: string; message: string }
  | { type: "error"; message: string };

export type AdvisorPhase = "idle" | "analyzing" | "cancelled" | "timedOut" | "failed" | "done";

export interface AdvisorState {
  uri?: string;
  fileName?: string;
  version?: number;
  phase: AdvisorPhase;
  message?: string;
  result?: AnalysisResult;
  /** findingId → what the user did with it. */
  decisions: Record<string, "applied" | "dismissed" | "previewed">;
  proposals: Record<string, Pick<FixProposal, "source" | "explanation" | "provider" | "model" | "safety" | "safetyReason" | "title">>;
  trusted: boolean;
}

export type AdvisorUpdate =
  | { type: "state"; state: AdvisorState }
  | { type: "health"; view: StatusView };
