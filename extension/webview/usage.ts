/** The dashboard's usage section: a summary in words and three charts (charts.ts). */
import type { UsageReport } from "../src/protocol/keel-protocol";
import { num, WIRE } from "../src/webview/wire";
import { barChart, legend, rateChart } from "./charts";
import { h, replace, usd } from "./common";

/** Axis ticks keep two significant digits ($0.025, not a rounded $0.03 that no bar reaches). */
function usdTick(value: number): string {
  return value === 0 ? "$0" : value >= 1 ? `$${value.toFixed(2)}` : `$${Number(value.toPrecision(2))}`;
}

function pct(value: number): string {
  return `${Math.round(value * 100)}%`;
}

export function renderUsage(usageBox: HTMLElement, report: UsageReport): void {
  const days = report.byDay ?? [];
  const labels = days.map((d) => d.key.slice(5));
  const rate = (n: number | undefined, d: number | undefined): number | null => (d ? (n ?? 0) / d : null);
  const partial = report.partial ?? 0;
  const byDesign = num(report, WIRE.usage.offlinePartial);
  const partialText = `${partial} with skipped stages${byDesign !== undefined ? ` (${byDesign} offline by design)` : ""}`;
  const summary = report.runs
    ? `${report.runs} run${report.runs === 1 ? "" : "s"}: ${report.succeeded} succeeded, ${partialText}, ${report.failed} failed, ${report.timedOut} timed out, `
      + `${report.cancelled} cancelled · success ${pct(report.successRate)} (runs offline by design count as done) · `
      + `model calls served by a fallback ${pct(report.fallbackRate)} · spent ${usd(report.actualUsd)}, saved ${usd(report.savingsUsd)} against the premium-tier baseline`
    : "No runs in the last 30 days yet.";
  const series = [
    { name: "success", className: "success", values: days.map((d) => num(d, "successRate") ?? rate((d.succeeded ?? 0) + (num(d, "partial") ?? 0), d.runs)) },
    { name: "timeout", className: "timeout", values: days.map((d) => rate(d.timedOut, d.runs)) },
    { name: "fallback", className: "fallback", values: days.map((d) => rate(d.fallbacks, d.calls)) },
  ];
  const free = report.runs > 0 && report.actualUsd === 0;
  const emptyCost = free ? "No cost yet: every run so far was free (offline or static stages only)." : "No data yet: run a workflow to see its cost here.";
  replace(usageBox,
    h("p", { id: "usage-summary" }, summary),
    h("div", { class: "charts" },
      h("figure", { id: "chart-cost-per-day" },
        h("figcaption", {}, "Cost per day (USD)"),
        barChart("Cost per day", days.map((d) => ({ label: d.key.slice(5), value: d.actualUsd ?? 0 })), usdTick, "USD", emptyCost)),
      h("figure", { id: "chart-actual-baseline" },
        h("figcaption", {}, "Actual cost vs baseline (USD, 30 days)"),
        barChart("Actual vs baseline cost", [
          { label: "actual", value: report.actualUsd, className: "bar actual" },
          { label: "baseline", value: report.baselineUsd, className: "bar baseline" }], usdTick, "USD", emptyCost),
        legend([{ name: "actual: what the runs cost", className: "actual" },
          // Not the server's baselineDefinition: it names wire fields (baselineUsd, byProvider).
          { name: "baseline: the same model calls on the premium tier, without tiering", className: "baseline" }])),
      h("figure", { id: "chart-rates" },
        h("figcaption", {}, "Success, timeout and fallback rates per day"),
        rateChart("Success, timeout and fallback rates per day", labels, series, "No data yet: no runs in the last 30 days."),
        legend(series))));
}

