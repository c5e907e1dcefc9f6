import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { launch, open, shutdown, waitForSent, type Harness } from "../support/webviewHarness";
import { estimate, runResult, USAGE, view, WORKFLOWS } from "../support/fixtures";

const SHOTS = path.resolve(__dirname, "..", "..", "..", "test-results", "webview");

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await launch();
});
after(shutdown);

async function loaded(): Promise<Harness> {
  const h = await open("dashboard");
  await h.deliver({ type: "workflows", workflows: WORKFLOWS });
  await h.deliver({ type: "target", target: "src/smelly.py", label: "current file (src/smelly.py)" });
  await waitForSent(h, (m) => m.type === "estimate", "an estimate request");
  await h.clearSent();
  return h;
}

test("typing debounces estimates to one request for the final target; an older answer is not shown", async () => {
  const h = await loaded();
  await h.page.fill("#target", "");
  await h.page.type("#target", "src/a.py", { delay: 10 });
  const request = await waitForSent(h, (m) => m.type === "estimate", "an estimate request");
  assert.deepEqual(request, { type: "estimate", workflow: "review", target: "src/a.py" });
  assert.equal((await h.sent()).filter((m) => m.type === "estimate").length, 1);
  await h.deliver({ type: "estimate", workflow: "review", target: "src/smelly.py", estimate: estimate("src/smelly.py", 9) });
  assert.doesNotMatch(await h.page.textContent("#estimate") ?? "", /\$9\.00/);
  await h.deliver({ type: "estimate", workflow: "review", target: "src/a.py", estimate: estimate("src/a.py", 0.25) });
  assert.equal(await h.page.textContent("#estimate-expected"), "$0.25");
  assert.match(await h.page.textContent("#estimate") ?? "", /band \$0\.13 – \$0\.50/);
  assert.match(await h.page.textContent("#estimate-if-configured") ?? "", /With anthropic: \$0\.02/);
  assert.match(await h.page.textContent("#workflow-info") ?? "", /model · capable/);
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("Run is disabled while its run is in flight; progress, Cancel, report and finding links work", async () => {
  const h = await loaded();
  await h.page.click("#run");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "run", "run"), { type: "run", workflow: "review", target: "src/smelly.py" });
  await h.deliver({ type: "runStarted", workflow: "review", target: "src/smelly.py", runId: "r1", attached: false });
  assert.equal(await h.page.isDisabled("#run"), true);
  await h.page.click("#run", { force: true });
  assert.equal((await h.sent()).filter((m) => m.type === "run").length, 1, "a second click sends nothing while in flight");
  for (const [seq, kind, extra] of [[1, "stageStarted", { stage: "review", provider: "anthropic" }],
    [2, "retrying", { stage: "review", attempt: 2, message: "429" }], [3, "fallback", { stage: "review", provider: "openai", model: "gpt-4.1" }]] as const) {
    await h.deliver({ type: "runEvent", event: { runId: "r1", seq, kind, at: "2026-11-26T09:00:00Z", ...extra } });
  }
  await h.deliver({ type: "runEvent", event: { runId: "other", seq: 1, kind: "started", at: "2026-11-26T09:00:00Z" } });
  await h.deliver({ type: "runEvent", event: { runId: "r1", seq: 4, kind: "stageProgress", at: "2026-11-26T09:00:01Z", stage: "review",
    chunk: 2, chunks: 4, inputTokens: 3000, outputTokens: 400, usd: 0.004 } });
  const progress = await h.page.$$eval("#progress li", (items) => items.map((i) => i.textContent));
  assert.deepEqual(progress, ["review: started on anthropic.", "review: retrying (attempt 2): 429.", "review: falling back to openai (gpt-4.1)."]);
  assert.match(await h.page.textContent("#progress-summary") ?? "", /^review: part 2 of 4 · 3,400 tokens, \$0\.0040 so far · 1 retry · 1 fallback · \d+ s elapsed$/);
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-running.png"), fullPage: true });
  await h.page.click("#cancel");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "cancelRun", "cancelRun"), { type: "cancelRun", runId: "r1" });
  assert.equal(await h.page.textContent("#run-status"), "Cancelling…");
  await h.deliver({ type: "cancelFailed", runId: "r1", message: "Keel is restarting." });
  assert.equal(await h.page.textContent("#run-status"), "Could not cancel run r1: Keel is restarting.");
  assert.equal(await h.page.isDisabled("#cancel"), false, "Cancel can be pressed again");
  await h.deliver({ type: "runFinished", workflow: "review", target: "src/smelly.py",
    result: runResult("r1", "# Review\n\n<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned=2\">\n\n- **bold** [x](javascript:alert(1))") });
  assert.equal(await h.page.isDisabled("#run"), false);
  assert.match(await h.page.textContent("#report-status") ?? "", /^Finished with skipped stages in 2\.1 s · cost \$0\.01 \(without tiering \$0\.05\)$/);
  assert.equal(await h.page.isVisible("#progress-summary"), false, "the live line goes when the run ends");
  assert.equal(await h.page.$$eval("#report-markdown script, #report-markdown img", (els) => els.length), 0);
  assert.match(await h.page.textContent("#report-markdown") ?? "", /<script>window.__pwned = 1<\/script>/);
  assert.equal(await h.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await h.page.$$eval("#report-markdown a[href^='javascript']", (els) => els.length), 0);
  assert.match(await h.page.textContent("#report table") ?? "", /openai\/gpt-4\.13 callsyes/);
  assert.equal(await h.page.textContent("#report-findings a"), "/ws/src/smelly.py:4");
  await h.page.click("#report-findings a");
  const reveal = await waitForSent(h, (m) => m.type === "reveal", "reveal");
  assert.deepEqual(reveal["range"], { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } });
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-report.png"), fullPage: true });
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("a run that another caller started shows as attached", async () => {
  const h = await loaded();
  await h.deliver({ type: "runStarted", workflow: "review", target: "src/smelly.py", runId: "r9", attached: true });
  assert.match(await h.page.textContent("#run-status") ?? "", /Attached to run r9/);
  assert.equal(await h.page.isDisabled("#run"), true);
  await h.close();
});

test("recent runs reopen their report; usage charts render; the banner's action is a button", async () => {
  const h = await loaded();
  await h.deliver({ type: "runs", reportable: ["r1"], runs: [
    { runId: "r1", workflow: "review", target: "src", status: "succeeded", startedAt: "2026-11-26T09:00:00Z", durationMs: 1500, actualUsd: 0.01 },
    { runId: "r0", workflow: "review", target: "src", status: "cancelled", startedAt: "2026-11-25T09:00:00Z", durationMs: 300, actualUsd: 0 }] });
  await h.page.click("#runs button[data-run-id='r1']");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "openRun", "openRun"), { type: "openRun", runId: "r1" });
  assert.equal(await h.page.isDisabled("#runs button[data-run-id='r0']"), true);
  await h.deliver({ type: "usage", report: USAGE });
  assert.equal(await h.page.$$eval("#usage svg", (els) => els.length), 3);
  assert.equal(await h.page.$$eval("#usage svg rect", (els) => els.length), 5);
  assert.match(await h.page.textContent("#usage-summary") ?? "", /^4 runs: 3 succeeded, 0 with skipped stages, .* · success 75%/);
  await h.deliver({ type: "health", view: view("unhealthy", { summary: "Storage is down.",
    components: [{ name: "storage", status: "down", detail: "disk full", fix: "Free space", action: { title: "Open storage settings", command: "keel.openSettings" } }] }) });
  assert.equal(await h.page.isVisible("#banner"), true);
  assert.match(await h.page.textContent("#banner") ?? "", /Keel is unhealthy\. Storage is down\.storage: disk full — Free space/);
  await h.page.screenshot({ path: path.join(SHOTS, "dashboard-banner.png"), fullPage: true });
  await h.page.click("#banner button");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "command", "command"), { type: "command", command: "keel.openSettings" });
  await h.deliver({ type: "health", view: view("healthy") });
  assert.equal(await h.page.isVisible("#banner"), false);
  await h.close();
});

test("a model-written report keeps only http(s) links; vscode:, command:, file: and relative links are plain text", async () => {
  const h = await loaded();
  const markdown = [
    "# Review",
    "[docs](https://docs.python.org/3/) and [plain](http://example.com/a).",
    "[install](vscode://ms-python.python/install?x=1) [run](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)",
    "[passwd](file:///etc/passwd) [rel](src/app.py) <vscode://evil.ext/autolink> [js](javascript:alert(1))",
  ].join("\n\n");
  await h.deliver({ type: "runFinished", workflow: "review", target: "src/smelly.py", result: runResult("links", markdown) });
  const hrefs = await h.page.$$eval("#report-markdown a", (links) => links.map((a) => a.getAttribute("href")));
  assert.deepEqual(hrefs, ["https://docs.python.org/3/", "http://example.com/a"]);
  const text = await h.page.textContent("#report-markdown") ?? "";
  for (const written of ["[install](vscode://ms-python.python/install?x=1)", "[passwd](file:///etc/passwd)", "[rel](src/app.py)", "vscode://evil.ext/autolink"]) {
    assert.ok(text.includes(written), `${written} is shown as text`);
  }
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});
