import { test } from "node:test";
import assert from "node:assert/strict";
import type { HealthReport } from "../../src/protocol/keel-protocol";
import { statusView, tooltipMarkdown } from "../../src/status/statusModel";

function withBudget(status: HealthReport["components"][number]["status"], detail: string, fix?: string): HealthReport {
  return { level: status === "ok" ? "healthy" : "degraded", summary: "budget", seq: 1, version: "0.1.0", uptimeMs: 5,
    inFlight: { total: 0 }, components: [{ name: "budget", status, detail, ...(fix ? { fix } : {}) }] } as HealthReport;
}

test("the health tooltip shows spent against each budget, and the way to raise it when it bites", () => {
  const nearly = statusView({ phase: "running", responsive: true,
    health: withBudget("degraded", "budget nearly spent: today $4.10 of $5.00 (82%)", "Raise keel.budgets if needed.") });
  const markdown = tooltipMarkdown(nearly);
  assert.ok(markdown.includes("- $(warning) `budget` budget nearly spent: today $4\\.10 of $5\\.00 \\(82%\\)"), markdown);
  assert.match(markdown, /\[Open budget settings\]\(command:workbench\.action\.openSettings\?%5B%22keel\.budgets%22%5D\)/);
  const fine = statusView({ phase: "running", responsive: true, health: withBudget("ok", "today $1.00 of $5.00 (20%)") });
  assert.equal(fine.components[0]?.action, undefined);
});
