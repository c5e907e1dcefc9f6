import { test } from "node:test";
import assert from "node:assert/strict";
import { commandUri, statusView, tooltipMarkdown, type StatusInput } from "../../src/status/statusModel";
import type { HealthReport } from "../../src/protocol/keel-protocol";

function health(level: HealthReport["level"], components: HealthReport["components"] = []): HealthReport {
  return { level, summary: `server ${level}`, seq: 1, version: "0.1.0", uptimeMs: 5, inFlight: { total: 0 }, components };
}

const cases: Array<[StatusInput, string, string | undefined]> = [
  [{ phase: "installing", responsive: true }, "installing", undefined],
  [{ phase: "starting", responsive: true }, "starting", undefined],
  [{ phase: "running", responsive: true }, "starting", undefined],
  [{ phase: "running", responsive: true, health: health("healthy") }, "healthy", undefined],
  [{ phase: "running", responsive: true, health: health("degraded") }, "degraded", "statusBarItem.warningBackground"],
  [{ phase: "running", responsive: true, health: { ...health("degraded"), starting: true } }, "starting", undefined],
  [{ phase: "running", responsive: true, health: health("unhealthy") }, "unhealthy", "statusBarItem.errorBackground"],
  [{ phase: "running", responsive: false, health: health("healthy") }, "notResponding", "statusBarItem.warningBackground"],
  [{ phase: "restarting", responsive: true }, "restarting", "statusBarItem.warningBackground"],
  [{ phase: "stopped", responsive: true, reason: "It crashed 5 times in 3 minutes." }, "stopped", "statusBarItem.errorBackground"],
];

for (const [input, state, background] of cases) {
  test(`status ${state} from phase ${input.phase}${input.health ? `/${input.health.level}` : ""}${input.responsive ? "" : " unresponsive"}`, () => {
    const view = statusView(input);
    assert.equal(view.state, state);
    assert.equal(view.background, background);
    assert.match(view.text, new RegExp(`Keel: ${state === "notResponding" ? "not responding" : state}$`));
  });
}

test("a server's 'starting' report shows as starting, without its not-yet-checked components", () => {
  const starting = { ...health("degraded", [{ name: "config", status: "degraded" as const, detail: "not checked yet", since: "" }]), starting: true };
  const view = statusView({ phase: "running", responsive: true, health: starting });
  assert.equal(view.state, "starting");
  assert.equal(view.summary, "Starting the Keel server…");
  assert.deepEqual(view.components, []);
});

test("stopped offers Restart; a healthy server does not", () => {
  const stopped = statusView({ phase: "stopped", responsive: true, reason: "crashed" });
  assert.ok(stopped.actions.some((a) => a.command === "keel.restartServer"));
  assert.match(stopped.summary, /crashed/);
  const healthy = statusView({ phase: "running", responsive: true, health: health("healthy") });
  assert.ok(!healthy.actions.some((a) => a.command === "keel.restartServer"));
});

test("the tooltip lists each component with its detail, its fix and a command link for the fix", () => {
  const view = statusView({
    phase: "running", responsive: true,
    health: health("degraded", [
      { name: "config", status: "degraded", detail: "providers.0.kind invalid", since: "", fix: "Fix keel.providers" },
      { name: "provider:anthropic", status: "disabled", detail: "no key", since: "", fix: "Set ANTHROPIC_API_KEY" },
      { name: "storage", status: "ok", detail: "history.db", since: "" },
    ]),
  });
  const md = tooltipMarkdown(view);
  assert.match(md, /`config` providers\\\.0\\\.kind invalid — \*Fix keel\\\.providers\*/);
  assert.ok(md.includes(commandUri({ title: "", command: "keel.setApiKey", args: ["anthropic"] })));
  assert.ok(md.includes("command:workbench.action.openSettings?"));
  assert.ok(md.includes("`storage` history\\.db"));
  assert.ok(!md.includes("`storage` history\\.db ["), "an ok component has no fix link");
});

test("markdown in a component's detail is escaped, not rendered", () => {
  const view = statusView({ phase: "running", responsive: true,
    health: health("degraded", [{ name: "analysis", status: "degraded", detail: "[click](command:evil)", since: "" }]) });
  assert.ok(!tooltipMarkdown(view).includes("[click](command:evil)"));
});

test("not responding: the tooltip says every component's state is unknown, not the last report's OK", () => {
  const report = health("healthy", [{ name: "storage", status: "ok", detail: "ready", since: "" },
    { name: "provider:chaos", status: "ok", detail: "ready; breaker closed", since: "" }]);
  const view = statusView({ phase: "running", responsive: false, health: report });
  assert.deepEqual(view.components.map((c) => [c.name, c.status, c.detail]), [
    ["storage", "unknown", "unknown while the server does not answer"],
    ["provider:chaos", "unknown", "unknown while the server does not answer"]]);
  assert.match(view.summary, /unknown until it answers/);
  assert.doesNotMatch(tooltipMarkdown(view), /\$\(pass\)/);
});

