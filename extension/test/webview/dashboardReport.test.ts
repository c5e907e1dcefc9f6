import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { launch, open, shutdown, waitForSent, type Harness } from "../support/webviewHarness";
import { estimate, finding, runResult, USAGE, WORKFLOWS } from "../support/fixtures";
import type { Finding } from "../../src/protocol/keel-protocol";

const SHOTS = path.resolve(__dirname, "..", "..", "..", "test-results", "webview");

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await launch();
});
after(shutdown);

async function loaded(state?: unknown): Promise<Harness> {
  const h = await open("dashboard", state);
  await h.deliver({ type: "workflows", workflows: WORKFLOWS });
  return h;
}

function many(n: number, file: string): Finding[] {
  return Array.from({ length: n }, (_, i) => ({ ...finding(`${file}-${i}`, "warning", "long-function", i), uri: `file:///ws/${file}` }));
}

test("after a reload the dashboard asks for its saved workflow, target and report, not the current file", async () => {
  const h = await loaded({ workflow: "security", target: "src/requests", lastRunId: "r7", savedAt: 1000 });
  const ready = (await h.sent()).find((m) => m.type === "ready");
  assert.deepEqual(ready, { type: "ready", workflow: "security", target: "src/requests", lastRunId: "r7", savedAt: 1000 });
  assert.equal(await h.page.inputValue("#target"), "src/requests");
  assert.equal(await h.page.inputValue("#workflow"), "security");
  await h.close();
});

test("a webview revived without its state takes the workflow and target the host kept", async () => {
  const h = await loaded();
  await h.deliver({ type: "restore", workflow: "security", target: "src/requests" });
  assert.equal(await h.page.inputValue("#target"), "src/requests");
  assert.equal(await h.page.inputValue("#workflow"), "security");
  const state = await h.page.evaluate(() => (window as unknown as { __state: Record<string, unknown> }).__state);
  assert.equal(state["workflow"], "security");
  assert.equal(state["target"], "src/requests");
  assert.equal(typeof state["savedAt"], "number", "saved with the time it was chosen");
  await h.close();
});

test("Run is disabled with the reason for a target that does not exist; a real one enables it", async () => {
  const h = await loaded({ workflow: "review", target: "src/gone" });
  await h.deliver({ type: "targetStatus", target: "src/gone", exists: false, reason: "src/gone does not exist in the workspace." });
  assert.equal(await h.page.isDisabled("#run"), true);
  assert.equal(await h.page.textContent("#run-reason"), "src/gone does not exist in the workspace.");
  await h.deliver({ type: "target", target: "src/smelly.py", label: "current file (src/smelly.py)" });
  assert.equal(await h.page.isDisabled("#run"), false);
  assert.equal(await h.page.textContent("#run-reason"), "");
  await h.close();
});

test("Restricted Mode: before Run it says which stages are skipped and offers Manage Workspace Trust", async () => {
  const h = await loaded({ workflow: "review", target: "src/smelly.py" });
  await h.deliver({ type: "trust", trusted: false });
  assert.match(await h.page.textContent("#skip-note") ?? "", /Restricted Mode: Run will do the static stages only and skip Review/);
  await h.page.click("#skip-note #manage-trust");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "command", "command"), { type: "command", command: "workbench.trust.manage" });
  // A static-only workflow skips nothing: no note.
  await h.page.selectOption("#workflow", "security");
  assert.equal(await h.page.isVisible("#skip-note"), false);
  await h.page.selectOption("#workflow", "review");
  // The run's report (a stage skipped for trust) offers the button again.
  const result = runResult("rt", "# x\n");
  result.stages[1] = { id: "review", status: "skipped", note: "skipped: the workspace is not trusted, so no code is sent to a model provider" };
  await h.deliver({ type: "runFinished", workflow: "review", target: "src/smelly.py", result, relPaths: {}, trusted: false });
  assert.match(await h.page.textContent("#report table") ?? "", /skipped \(the workspace is not trusted/);
  assert.doesNotMatch(await h.page.textContent("#report") ?? "", /skipped: skipped|skipped \(skipped/);
  assert.equal(await h.page.isVisible("#report #manage-trust"), true);
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-restricted.png"), fullPage: true });
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("tier choices say why: a downgraded stage names the small input and the tier the workflow asked for", async () => {
  const h = await loaded({ workflow: "review", target: "src/smelly.py" });
  await h.deliver({ type: "target", target: "src/smelly.py", label: "" });
  const request = await waitForSent(h, (m) => m.type === "estimate", "estimate");
  const e = estimate("src/smelly.py", 0.01);
  e.stages[1] = { ...e.stages[1]!, tier: "cheap", downgraded: true };
  await h.deliver({ type: "estimate", workflow: request["workflow"], target: request["target"], estimate: e });
  assert.match(await h.page.textContent("#estimate .stages-table") ?? "", /cheap \(small input, so one tier below capable\)/);
  await h.close();
});

test("a new run clears the previous report; findings are grouped by file with file:line links and paged", async () => {
  const h = await loaded({ workflow: "review", target: "src" });
  const result = runResult("r1", "# review on `src`\n\n**Status:** partial\n\n## Review (succeeded)\n\nLooks fine.\n\n## Findings (160)\n\n| severity |\n");
  result.report.findings = [...many(120, "src/a.py"), ...many(20, "src/b.py")];
  result.report.findingsTotal = 160;
  result.report.truncated = true;
  await h.deliver({ type: "runFinished", workflow: "review", target: "src", result, relPaths: { "file:///ws/src/a.py": "src/a.py", "file:///ws/src/b.py": "src/b.py" } });
  assert.equal(await h.page.locator("#report-findings li").count(), 100);
  assert.deepEqual(await h.page.$$eval("#report-findings details summary", (s) => s.map((e) => e.textContent)), ["src/a.py (100)"]);
  assert.equal(await h.page.textContent("#report-findings li a"), "src/a.py:1");
  assert.equal((await h.page.textContent("#report") ?? "").match(/Report: review/g)?.length, 1, "one heading");
  assert.doesNotMatch(await h.page.textContent("#report-markdown") ?? "", /Status:|Findings \(160\)|severity/);
  assert.match(await h.page.textContent("#report-markdown") ?? "", /Looks fine\./);
  await h.page.click("#more-findings");
  assert.equal(await h.page.locator("#report-findings li").count(), 140, "the second page comes from what the run returned");
  await h.clearSent();
  await h.page.click("#more-findings");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "moreFindings", "moreFindings"), { type: "moreFindings", runId: "r1", offset: 140 });
  await h.deliver({ type: "findingsPage", runId: "r1", findings: many(20, "src/c.py"), relPaths: { "file:///ws/src/c.py": "src/c.py" }, total: 160 });
  assert.equal(await h.page.locator("#report-findings li").count(), 160);
  assert.equal(await h.page.isVisible("#more-findings"), false);
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-report-grouped.png"), fullPage: true });
  // A page for another run is not mixed in; a new run clears the report.
  await h.deliver({ type: "findingsPage", runId: "other", findings: many(5, "src/x.py"), relPaths: {}, total: 5 });
  assert.equal(await h.page.locator("#report-findings li").count(), 160);
  await h.deliver({ type: "runStarted", workflow: "review", target: "src", runId: "0f3c9a1e-5b7d-4c2a-9e11-2b8f6d4a7c90", attached: false, deadlineMs: 300000 });
  assert.equal(await h.page.isVisible("#report"), false);
  assert.equal(await h.page.textContent("#run-status"), "Run 0f3c9a1e started.");
  assert.match(await h.page.textContent("#progress-summary") ?? "", /starting · \d+ s of 5 min allowed/);
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("charts: axes with units, legends, tooltips; no data yet says so instead of empty lines", async () => {
  const h = await loaded();
  await h.deliver({ type: "usage", report: { ...USAGE, runs: 0, succeeded: 0, cancelled: 0, actualUsd: 0, baselineUsd: 0, savingsUsd: 0, byDay: [] } });
  assert.equal(await h.page.$$eval("#usage svg", (els) => els.length), 0);
  assert.match(await h.page.textContent("#usage") ?? "", /No runs in the last 30 days yet\..*No data yet/);
  await h.deliver({ type: "usage", report: { ...USAGE, actualUsd: 0, byDay: (USAGE.byDay ?? []).map((d) => ({ ...d, actualUsd: 0 })) } });
  assert.match(await h.page.textContent("#chart-cost-per-day") ?? "", /No cost yet: every run so far was free/);
  await h.deliver({ type: "usage", report: { ...USAGE, baselineDefinition: "baselineUsd: what each LLM stage would cost; byProvider rows carry no baseline" } });
  const ticks = await h.page.$$eval("#chart-cost-per-day .tick", (els) => els.map((e) => e.textContent));
  assert.deepEqual(ticks, ["$0", "$0.025", "$0.05"], "y ticks with units, up to a round maximum");
  assert.match(await h.page.textContent("#chart-cost-per-day svg") ?? "", /USD/);
  assert.match(await h.page.textContent("#chart-rates") ?? "", /100%.*% of runs.*success.*timeout.*fallback/s);
  const tips = await h.page.$$eval("#chart-rates circle title", (els) => els.map((e) => e.textContent));
  assert.ok(tips.includes("11-24: success 100%"), JSON.stringify(tips));
  assert.match(await h.page.textContent("#chart-actual-baseline .legend") ?? "", /actual: what the runs cost.*baseline: the same model calls on the premium tier/);
  assert.doesNotMatch(await h.page.textContent("#usage") ?? "", /baselineUsd|byProvider|savingsUsd/, "no wire field names");
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-charts.png"), fullPage: true });
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("the server's own skip reasons (listWorkflows, a run's stages) are what the dashboard says", async () => {
  const h = await open("dashboard", { workflow: "review", target: "src" });
  const skip = { reason: "restrictedMode" as const, code: "trust.untrusted", message: "This workspace is in Restricted Mode: nothing is sent to a model." };
  const workflows = WORKFLOWS.map((w) => ({ ...w, stages: w.stages.map((s) => (s.kind === "llm" ? { ...s, skip } : s)) }));
  await h.deliver({ type: "workflows", workflows, workspaceTrusted: false });
  assert.match(await h.page.textContent("#skip-note") ?? "", /skip Review\. This workspace is in Restricted Mode: nothing is sent to a model\./);
  const result = runResult("rs", "## Review (skipped)\n");
  result.stages[1] = { id: "review", status: "skipped", skip, note: "skipped: x" };
  (result.report as Record<string, unknown>)["statusText"] = "Partly done";
  (result.report as Record<string, unknown>)["summary"] = "2 stages (1 skipped), 1 finding in 1 file, $0.";
  await h.deliver({ type: "runFinished", workflow: "review", target: "src", result, relPaths: {}, trusted: false });
  assert.match(await h.page.textContent("#report-status") ?? "", /^Partly done in/);
  assert.equal(await h.page.textContent("#report-summary"), "2 stages (1 skipped), 1 finding in 1 file, $0.");
  assert.match(await h.page.textContent("#report table") ?? "", /skipped \(This workspace is in Restricted Mode/);
  assert.equal(await h.page.isVisible("#report #manage-trust"), true);
  await h.close();
});
