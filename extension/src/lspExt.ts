/* Generated from keel.protocol by 'python -m keel.protocol.generate'. Do not edit. */
/**
 * Keel's JSON-RPC methods, typed with the generated protocol types: the one place the client
 * names a `keel/*` method (like rust-analyzer's lsp_ext.ts). Works with vscode-languageclient
 * and with a bare vscode-jsonrpc connection (the client tests use the latter).
 */
import { NotificationType, RequestType } from "vscode-jsonrpc";
import type {
  AnalysisResult,
  AnalyzeParams,
  AuthenticateParams,
  CancelRunParams,
  CancelRunResult,
  CostEstimate,
  EstimateCostParams,
  FixProposal,
  GenerateFixParams,
  HealthParams,
  HealthReport,
  ListWorkflowsParams,
  ListWorkflowsResult,
  ModelsReport,
  PreflightParams,
  PreflightReport,
  ReportParams,
  RunEvent,
  RunFindingsParams,
  RunFindingsResult,
  RunResult,
  RunWorkflowParams,
  RunsParams,
  RunsResult,
  UsageReport,
  ValidateModelsParams,
} from "./protocol/keel-protocol";

export const PROTOCOL_VERSION = 1;

export const health = new RequestType<HealthParams, HealthReport, void>("keel/health");
export const preflight = new RequestType<PreflightParams, PreflightReport, void>("keel/preflight");
export const listWorkflows = new RequestType<ListWorkflowsParams, ListWorkflowsResult, void>("keel/listWorkflows");
export const estimateCost = new RequestType<EstimateCostParams, CostEstimate, void>("keel/estimateCost");
export const runWorkflow = new RequestType<RunWorkflowParams, RunResult, void>("keel/runWorkflow");
export const cancelRun = new RequestType<CancelRunParams, CancelRunResult, void>("keel/cancelRun");
export const analyze = new RequestType<AnalyzeParams, AnalysisResult, void>("keel/analyze");
export const generateFix = new RequestType<GenerateFixParams, FixProposal, void>("keel/generateFix");
export const runs = new RequestType<RunsParams, RunsResult, void>("keel/runs");
export const report = new RequestType<ReportParams, UsageReport, void>("keel/report");
export const validateModels = new RequestType<ValidateModelsParams, ModelsReport, void>("keel/validateModels");
export const runFindings = new RequestType<RunFindingsParams, RunFindingsResult, void>("keel/runFindings");

export const healthChanged = new NotificationType<HealthReport>("keel/healthChanged");
export const runEvent = new NotificationType<RunEvent>("keel/runEvent");
export const authenticate = new NotificationType<AuthenticateParams>("keel/authenticate");

/** JSON-RPC error codes of the contract (docs/protocol.md). */
export const ErrorCodes = {
  invalidParams: -32602,
  requestCancelled: -32800,
  superseded: -32802,
  requestFailed: -32803,
} as const;
