import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { launch, open, shutdown, waitForSent } from "../support/webviewHarness";
import { analysis, finding } from "../support/fixtures";
import type { AdvisorState } from "../../src/webview/messages";

const SHOTS = path.resolve(__dirname, "..", "..", "..", "test-results", "webview");
const base: AdvisorState = { phase: "idle", decisions: {}, proposals: {}, trusted: true };

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await launch();
});
after(shutdown);

test("Analyze, then Cancel while analysing; cancelled, timed out and failed read differently", async () => {
  const h = await open("advisor");
  await h.deliver({ type: "state", state: base });
  await h.page.click("#analyze");
  await waitForSent(h, (m) => m.type === "analyze", "analyze");
  await h.deliver({ type: "state", state: { ...base, phase: "analyzing", fileName: "src/large.py", message: "Analysing src/large.py…" } });
  assert.equal(await h.page.isDisabled("#analyze"), true);
  assert.equal(await h.page.isVisible("#cancel"), true);
  await h.page.click("#cancel");
  await waitForSent(h, (m) => m.type === "cancel", "cancel");
  const texts: Record<string, string> = {};
  for (const [phase, message] of [["cancelled", "Analysis cancelled."], ["timedOut", "Analysis timed out: deadline 120 s"], ["failed", "Analysis failed: boom"]] as const) {
    await h.deliver({ type: "state", state: { ...base, phase, message } });
    assert.equal(await h.page.getAttribute("#status", "data-phase"), phase);
    assert.equal(await h.page.isVisible("#cancel"), false);
    texts[phase] = await h.page.textContent("#status") ?? "";
  }
  assert.equal(new Set(Object.values(texts)).size, 3);
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("findings are grouped by severity then rule; reveal, generate fix, apply and dismiss post finding ids", async () => {
  const h = await open("advisor");
  const findings = [finding("a", "warning", "too-many-params", 3, true), finding("b", "error", "bare-except", 12, true),
    finding("c", "warning", "deep-nesting", 5), finding("d", "warning", "too-many-params", 30), finding("e", "info", "unused-import", 0, true)];
  await h.deliver({ type: "state", state: { ...base, phase: "done", fileName: "src/smelly.py", result: analysis(findings), message: "5 findings in 12 ms." } });
  const groups = await h.page.$$eval("#findings section h2", (els) => els.map((e) => e.textContent));
  assert.deepEqual(groups, ["error (1)", "warning (3)", "info (1)"]);
  const rules = await h.page.$$eval(".severity-warning details", (els) => els.map((e) => e.getAttribute("data-rule")));
  assert.deepEqual(rules, ["deep-nesting", "too-many-params"]);
  await h.page.click("[data-finding-id='b'] a");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "reveal", "reveal"), { type: "reveal", findingId: "b" });
  await h.page.click("[data-finding-id='b'] .generate-fix");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "generateFix", "generateFix"), { type: "generateFix", findingId: "b" });
  assert.equal(await h.page.$$eval("[data-finding-id='c'] .generate-fix", (els) => els.length), 0, "not fixable: no button");
  await h.deliver({ type: "state", state: { ...base, phase: "done", result: analysis(findings),
    decisions: { b: "previewed", e: "previewed" },
    proposals: { b: { source: "rule", explanation: "Catch Exception explicitly." }, e: { source: "llm", explanation: "Remove it.", model: "claude-haiku-4-5" } } } });
  await h.page.click("[data-finding-id='b'] .apply-fix");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "applyFix", "applyFix"), { type: "applyFix", findingId: "b" });
  assert.match(await h.page.textContent("[data-finding-id='e'] .proposal") ?? "", /model-proposed · claude-haiku-4-5/);
  await h.page.screenshot({ path: path.join(SHOTS, "advisor-findings.png"), fullPage: true });
  await h.deliver({ type: "state", state: { ...base, trusted: false, phase: "done", result: analysis(findings),
    decisions: { e: "previewed" }, proposals: { e: { source: "llm", explanation: "Remove it." } } } });
  assert.equal(await h.page.isDisabled("[data-finding-id='e'] .apply-fix"), true, "model fixes need a trusted workspace");
  await h.page.click("[data-finding-id='c'] .dismiss");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "dismiss", "dismiss"), { type: "dismiss", findingId: "c" });
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("each fixable finding shows its fix's safety with the reason; Fix all safe counts the safe ones only", async () => {
  const h = await open("advisor");
  const safe = { ...finding("s1", "warning", "unused-import", 0, true), fixSafety: "safe" as const };
  const unsafe = { ...finding("u1", "warning", "bare-except", 4, true), fixSafety: "unsafe" as const,
    fixSafetyReason: "Catching Exception instead of everything lets KeyboardInterrupt through." };
  const notFixable = finding("n1", "info", "long-function", 9);
  await h.deliver({ type: "state", state: { ...base, phase: "done", fileName: "src/smelly.py", result: analysis([safe, unsafe, notFixable]) } });
  assert.equal(await h.page.textContent("[data-finding-id='s1'] .safety .badge"), "safe fix");
  assert.equal(await h.page.textContent("[data-finding-id='u1'] .safety .badge"), "unsafe fix");
  assert.match(await h.page.textContent("[data-finding-id='u1'] .safety") ?? "", /lets KeyboardInterrupt through/);
  assert.equal(await h.page.locator("[data-finding-id='n1'] .safety").count(), 0);
  assert.equal(await h.page.textContent("#fix-all-safe"), "Fix all safe (1)");
  await h.page.click("#fix-all-safe");
  assert.deepEqual(await waitForSent(h, (m) => m.type === "command", "command"), { type: "command", command: "keel.fixAllSafe" });
  // Once previewed, the proposal's own reason and an explicit "Apply unsafe fix" label.
  await h.deliver({ type: "state", state: { ...base, phase: "done", result: analysis([safe, unsafe]), decisions: { u1: "previewed" },
    proposals: { u1: { source: "rule", explanation: "x", provider: null, model: null, safety: "unsafe", safetyReason: "It changes which exceptions are caught.",
      title: "Narrow bare except to Exception (unsafe)" } } } });
  assert.match(await h.page.textContent("[data-finding-id='u1'] .safety") ?? "", /It changes which exceptions are caught\./);
  assert.equal(await h.page.textContent("[data-finding-id='u1'] .apply-fix"), "Apply unsafe fix");
  assert.match(await h.page.textContent("[data-finding-id='u1'] .proposal") ?? "", /Narrow bare except to Exception \(unsafe\)/);
  await h.page.screenshot({ path: path.join(SHOTS, "advisor-safety.png"), fullPage: true });
  // Nothing safe left to fix: no button.
  await h.deliver({ type: "state", state: { ...base, phase: "done", result: analysis([unsafe]) } });
  assert.equal(await h.page.isVisible("#fix-all-safe"), false);
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});
