/**
 * The extension's TypeScript client code (lspExt request types, generated protocol types,
 * describeError, LatestOnly) against the real `keel serve`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import * as ext from "../../src/lspExt";
import { describeError } from "../../src/errors";
import type { RunEvent, RunResult } from "../../src/protocol/keel-protocol";
import { sampleWorkspace, startServer, type RunningServer, type Workspace } from "../support/keelServer";

let server: RunningServer;
let workspace: Workspace;
const events: RunEvent[] = [];
/** One handler per method in vscode-jsonrpc: tests watch events through this hook. */
let onRunEvent: ((event: RunEvent) => void) | undefined;
const healthSeqs: number[] = [];

before(async () => {
  workspace = sampleWorkspace();
  server = startServer(workspace);
  server.connection.onNotification(ext.runEvent, (event) => { events.push(event); onRunEvent?.(event); });
  server.connection.onNotification(ext.healthChanged, (report) => { healthSeqs.push(report.seq); });
  const result = await server.connection.sendRequest("initialize", {
    processId: process.pid,
    rootUri: workspace.uri(""),
    workspaceFolders: [{ uri: workspace.uri(""), name: "ws" }],
    capabilities: {},
    initializationOptions: { settings: { logLevel: "info" }, workspaceTrusted: true, clientName: "keel-ext-test" },
  }) as { capabilities: { experimental?: { keel?: { version: number; methods: string[] } } } };
  const keel = result.capabilities.experimental?.keel;
  assert.equal(keel?.version, 1);
  for (const type of [ext.health, ext.preflight, ext.listWorkflows, ext.estimateCost, ext.runWorkflow, ext.cancelRun,
    ext.analyze, ext.generateFix, ext.runs, ext.report, ext.validateModels, ext.runFindings, ext.healthChanged,
    ext.runEvent, ext.authenticate]) {
    assert.ok(keel?.methods.includes(type.method), `server advertises ${type.method}`);
  }
  await server.connection.sendNotification("initialized", {});
});

after(async () => {
  await server?.stop();
});

test("keel/health answers a HealthReport with components", async () => {
  const report = await server.connection.sendRequest(ext.health, {});
  assert.ok(["healthy", "degraded", "unhealthy"].includes(report.level));
  const names = report.components.map((c) => c.name);
  for (const name of ["config", "storage", "analysis"]) assert.ok(names.includes(name), `component ${name}`);
});

test("keel/validateModels and keel/runFindings answer through their generated request types", async () => {
  const models = await server.connection.sendRequest(ext.validateModels, {});
  assert.equal(typeof models.ok, "boolean");
  assert.ok(Array.isArray(models.entries) && Array.isArray(models.checks));
  const error = await server.connection.sendRequest(ext.runFindings, { runId: "no-such-run" })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ResponseError);
  assert.equal(describeError(error).data?.code, "run.unknown");
});

test("listWorkflows and estimateCost give stages, tiers and a usd band", async () => {
  const { workflows } = await server.connection.sendRequest(ext.listWorkflows, {});
  assert.ok(workflows.length > 0);
  const workflow = workflows[0]!;
  assert.ok(workflow.stages.length > 0);
  const estimate = await server.connection.sendRequest(ext.estimateCost, { workflow: workflow.id, target: "src/smelly.py" });
  assert.equal(estimate.files, 1);
  assert.ok(estimate.usd.low <= estimate.usd.expected && estimate.usd.expected <= estimate.usd.high);
  assert.equal(estimate.stages.length, workflow.stages.length);
});

test("a target outside the workspace is a validation error that describeError names", async () => {
  const { workflows } = await server.connection.sendRequest(ext.listWorkflows, {});
  const error = await server.connection.sendRequest(ext.estimateCost, { workflow: workflows[0]!.id, target: "/etc" })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ResponseError);
  const described = describeError(error);
  assert.equal(described.kind, "validation");
  assert.equal(described.data?.code, "target.outside_workspace");
});

test("runWorkflow with the client's run id: events carry it, a concurrent identical run attaches", async () => {
  const { workflows } = await server.connection.sendRequest(ext.listWorkflows, {});
  const workflow = workflows[0]!.id;
  const queued = new Promise<void>((resolve) => {
    onRunEvent = (event) => { if (event.runId === "client-run-1" && event.kind === "queued") resolve(); };
  });
  const first = server.connection.sendRequest(ext.runWorkflow, { workflow, target: "src", runId: "client-run-1" });
  // The second click comes once the first run is in flight (queued), as a user's would; the
  // static stages over src/large.py keep it in flight for a while.
  await queued;
  const second = server.connection.sendRequest(ext.runWorkflow, { workflow, target: "src", runId: "client-run-2" });
  const [a, b] = await Promise.all([first, second]) as [RunResult, RunResult];
  assert.equal(a.runId, "client-run-1");
  assert.equal(b.runId, "client-run-1", "the second request shares the first run");
  assert.equal(b.deduplicated, true);
  assert.ok(["succeeded", "partial"].includes(a.status), `status ${a.status}`);
  const kinds = events.filter((e) => e.runId === "client-run-1").map((e) => e.kind);
  assert.ok(kinds.includes("queued") && kinds.includes("attached") && kinds.at(-1) === "finished", kinds.join(","));
  const attached = events.find((e) => e.kind === "attached");
  assert.equal(attached?.clientRunId, "client-run-2");
  const { runs } = await server.connection.sendRequest(ext.runs, { limit: 5 });
  assert.equal(runs.filter((r) => r.runId === "client-run-1").length, 1);
  const cancel = await server.connection.sendRequest(ext.cancelRun, { runId: "client-run-1" });
  assert.equal(cancel.cancelled, false);
});

test("analyze finds the smells; cancelling an analysis of a large file answers -32800", async () => {
  const result = await server.connection.sendRequest(ext.analyze, { uri: workspace.uri("src/smelly.py") });
  assert.ok(result.findings.length >= 2, `findings: ${result.findings.map((f) => f.rule).join(",")}`);
  const fixable = result.findings.find((f) => f.fixable);
  if (fixable) {
    const proposal = await server.connection.sendRequest(ext.generateFix, { uri: result.uri, findingId: fixable.id });
    assert.equal(proposal.findingId, fixable.id);
    assert.ok(proposal.edits.length > 0);
  }
  const source = new CancellationTokenSource();
  const pending = server.connection.sendRequest(ext.analyze, { uri: workspace.uri("src/large.py") }, source.token);
  setTimeout(() => source.cancel(), 20);
  const error = await pending.then(() => undefined, (e: unknown) => e);
  assert.ok(error, "the cancelled analysis must not produce a result");
  assert.equal(describeError(error).kind, "cancelled");
  const health = await server.connection.sendRequest(ext.health, {});
  assert.ok(health.components.length > 0, "the server keeps serving after a cancel");
});

test("report gives usage rates", async () => {
  const report = await server.connection.sendRequest(ext.report, { days: 7 });
  assert.ok(report.runs >= 1);
  assert.ok(report.successRate >= 0 && report.successRate <= 1);
});
