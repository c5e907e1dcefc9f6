import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { launch, open, shutdown, waitForSent } from "../support/webviewHarness";
import { estimate, view, WORKFLOWS } from "../support/fixtures";

const SHOTS = path.resolve(__dirname, "..", "..", "..", "test-results", "webview");

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await launch();
});
after(shutdown);

test("the budget left is shown beside the band, flagged when the band's high end does not fit", async () => {
  const h = await open("dashboard");
  await h.deliver({ type: "workflows", workflows: WORKFLOWS });
  await h.deliver({ type: "target", target: "src/smelly.py", label: "current file (src/smelly.py)" });
  await waitForSent(h, (m) => m.type === "estimate", "an estimate request");
  // Seen in the e2e after a reload: both picked, the estimate on its way, and the box still said what to pick.
  assert.equal(await h.page.textContent("#estimate"), "Estimating…");
  const fits = { ...estimate("src/smelly.py", 0.25), budget: { spentTodayUsd: 1, spentMonthUsd: 3, reservedUsd: 0, leftForRunUsd: 2 } };
  await h.deliver({ type: "estimate", workflow: "review", target: "src/smelly.py", estimate: fits });
  assert.equal(await h.page.textContent("#estimate-budget"), "Budget left for this run: $2.00");
  assert.equal(await h.page.getAttribute("#estimate-budget", "class"), "muted");
  const over = { ...fits, budget: { ...fits.budget, leftForRunUsd: 0.3 } };
  await h.deliver({ type: "estimate", workflow: "review", target: "src/smelly.py", estimate: over });
  assert.match(await h.page.textContent("#estimate-budget") ?? "", /\$0\.30 — the band's high end does not fit; Run will ask\./);
  assert.equal(await h.page.getAttribute("#estimate-budget", "class"), "budget-over");
  await h.page.locator("#estimate").screenshot({ path: path.join(SHOTS, "estimate-budget-left.png") });
  const none = estimate("src/smelly.py", 0.25);
  await h.deliver({ type: "estimate", workflow: "review", target: "src/smelly.py", estimate: none });
  assert.equal(await h.page.$("#estimate-budget"), null);
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});

test("a budget nearly spent shows in the dashboard's health banner with its fix", async () => {
  const h = await open("dashboard");
  await h.deliver({ type: "health", view: view("degraded", { summary: "1 component needs attention", components: [
    { name: "budget", status: "degraded", detail: "budget nearly spent: today $4.10 of $5.00 (82%); this month $12.00 of $50.00 (24%)",
      fix: "Raise keel.budgets if needed.", action: { title: "Open budget settings", command: "workbench.action.openSettings", args: ["keel.budgets"] } },
  ] }) });
  assert.match(await h.page.textContent("#banner") ?? "", /budget: budget nearly spent: today \$4\.10 of \$5\.00 \(82%\)/);
  await h.page.locator("#banner").screenshot({ path: path.join(SHOTS, "health-budget-banner.png") });
  assert.deepEqual(h.cspViolations, []);
  await h.close();
});
