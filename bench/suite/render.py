"""Regenerate docs/performance.md's measured section, its plots and the README's claims.

    python bench/suite/render.py [RESULTS_JSON]

Reads bench/results/latest.json (written by run.py) and rewrites:
- the block of docs/performance.md between ``<!-- bench:begin -->`` and ``<!-- bench:end -->``;
- the block of README.md between ``<!-- bench-claims:begin -->`` and ``<!-- bench-claims:end -->``;
- the SVG plots in docs/perf/ (matplotlib; deterministic output: no dates, fixed ids).

``render_performance`` and ``render_claims`` are pure (results in, markdown out), so a
contract test can check that the committed docs match the committed results.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "latest.json"
PERF_DOC = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
PLOTS = ROOT / "docs" / "perf"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CLAIMS_BEGIN, CLAIMS_END = "<!-- bench-claims:begin -->", "<!-- bench-claims:end -->"
FAULTS_BEGIN, FAULTS_END = "<!-- bench-faults:begin -->", "<!-- bench-faults:end -->"
RELIABILITY_DOC = ROOT / "docs" / "reliability.md"


def _n(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, (int, float)):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _spread(fig: dict[str, Any] | None) -> str:
    if not fig or fig.get("median") is None:
        return "–"
    unit = fig.get("unit", "")
    return f"{_n(fig['median'], unit)} ({_n(fig['p10'])}–{_n(fig['p90'])}, n={fig['n']})"


def _error(section: dict[str, Any] | None) -> str | None:
    if section is None:
        return "not run"
    return section.get("error")


def machine_line(results: dict[str, Any]) -> str:
    m = results["machine"]
    versions = m.get("versions", {})
    return (f"Measured {results.get('startedAt', '?')} on {m['cores']} cores, {m['memoryGiB']} GiB "
            f"({m['system']}, Python {versions.get('python')}, commit {versions.get('commit', '?')}); "
            f"load average before {results['loadAverageBefore']}, after {results['loadAverageAfter']}"
            + (" — quick mode (smaller sizes)." if results.get("quick") else "."))


def _sides_table(title: str, section: dict[str, Any]) -> list[str]:
    lines = [f"#### {title}", ""]
    error = _error(section)
    if error:
        return lines + [f"Not measured: {error}", ""]
    lines += ["| side | median (p10–p90, n) |", "|---|---|"]
    for name, fig in section["sides"].items():
        lines.append(f"| {name} | {_spread(fig)} |")
    lines.append("")
    for name, value in section.get("ratios", {}).items():
        lines.append(f"- {name}: **{_n(value)}×**")
    return lines + [""]


def _slopes(points: list[dict[str, Any]], x: str, y: str) -> str:
    """Log-log slope between consecutive points: 1 is linear, above 1 faster than linear."""
    parts = []
    for a, b in zip(points, points[1:], strict=False):
        if a.get(x) and b.get(x) and a.get(y) and b.get(y) and a[x] != b[x]:
            slope = math.log(b[y] / a[y]) / math.log(b[x] / a[x])
            parts.append(f"{_n(a[x])}→{_n(b[x])}: {slope:.2f}")
    return ", ".join(parts) or "–"


def _curve_tables(section: dict[str, Any]) -> list[str]:
    error = _error(section)
    if error:
        return [f"Not measured: {error}", ""]
    lines: list[str] = []
    est = section.get("estimateByFiles") or []
    lines += ["#### Estimate time and server RSS against files", "",
              "| files | cold | warm | server RSS |", "|---|---|---|---|"]
    lines += [f"| {_n(p['files'])} | {_n(p['coldMs'], 'ms')} | {_n(p['warmMs'], 'ms')} | "
              f"{_n(p['serverRssMB'], 'MB')} |" for p in est]
    lines += ["", f"Growth (log-log slope; 1 = linear): cold {_slopes(est, 'files', 'coldMs')}; "
              f"warm {_slopes(est, 'files', 'warmMs')}; RSS {_slopes(est, 'files', 'serverRssMB')}.",
              "", "![estimate against files](perf/estimate_by_files.svg)", ""]
    ana = section.get("analysisBySize") or []
    lines += ["#### Analysis time against file size", "", "| lines | time |", "|---|---|"]
    lines += [f"| {_n(p['lines'])} | {_n(p['ms'], 'ms')} |" for p in ana]
    lines += ["", f"Growth: {_slopes(ana, 'lines', 'ms')}.", "",
              "![analysis against file size](perf/analysis_by_size.svg)", ""]
    run = section.get("runByTarget") or []
    lines += ["#### `review` run time against target size (offline)", "",
              "| files | lines | time | findings in the answer (capped at 500) | status |", "|---|---|---|---|---|"]
    lines += [f"| {_n(p['files'])} | {_n(p['lines'])} | {_n(p['ms'], 'ms')} | {_n(p['findings'])} | "
              f"{p['status']} |" for p in run]
    lines += ["", f"Growth: {_slopes(run, 'lines', 'ms')}.", "",
              "![run against target size](perf/run_by_target.svg)", ""]
    health = section.get("healthByInFlight") or []
    lines += ["#### `keel/health` latency against analyses in flight", "",
              "| in flight | p50 | p99 |", "|---|---|---|"]
    lines += [f"| {p['inFlight']} | {_n(p['p50Ms'], 'ms')} | {_n(p['p99Ms'], 'ms')} |" for p in health]
    lines += ["", "![health against in-flight requests](perf/health_by_in_flight.svg)", ""]
    return lines


def _memory(section: dict[str, Any]) -> list[str]:
    error = _error(section)
    if error:
        return [f"Not measured: {error}", ""]
    rows = [("idle, warmed up", section["idle"]),
            ("after 10,000 mixed requests", section["after10kMixedRequests"]),
            ("after three 50,000-line analyses", section["afterThree50kLineAnalyses"]),
            ("5 s later", section["fiveSecondsLater"])]
    lines = ["| moment | tree RSS | tree PSS | processes |", "|---|---|---|---|"]
    lines += [f"| {name} | {_n(m['rssMB'], 'MB')} | {_n(m['pssMB'], 'MB')} | {m['processes']} |"
              for name, m in rows]
    failed = section["failedRequests"]
    failed_text = ", ".join(f"{k}: {v}" for k, v in sorted(failed.items())) if isinstance(failed, dict) \
        else str(failed)
    return lines + ["", f"Requests that got an error during the mix (method and code; -32802 is an "
                    f"estimate superseded by a newer one, by design): {failed_text or 'none'}. "
                    f"Goal: {section['goal']}.", "",
                    "![RSS against request count](perf/rss_by_requests.svg)", ""]


def _robustness(section: dict[str, Any]) -> list[str]:
    error = _error(section)
    if error:
        return [f"Not measured: {error}", ""]
    scalars = {k: v for k, v in section.items() if not isinstance(v, (dict, list))}
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {k} | {_n(v) if not isinstance(v, bool) else v} |" for k, v in scalars.items()]
    memory = section.get("memory") or {}
    if memory:
        lines.append("| RSS before → after | " + " → ".join(_n(v / 1024, "MB") for v in memory.values()) + " |")
    return lines + [""]


def _resilience(section: dict[str, Any]) -> list[str]:
    error = _error(section)
    if error:
        return [f"Not measured: {error}", ""]
    lines = ["| fault (reliability target) | what the user sees | figure |", "|---|---|---|"]
    what = {
        "target1_success_rate": ("both providers fail 30 % of calls transiently",
                                 "the run succeeds (retries, fallback)"),
        "target2_breaker": ("a provider is down", "its breaker opens; calls go to the fallback at once"),
        "target3_budget": ("a provider is down, retry budget spent", "no retry storm: ~1 attempt per call"),
        "target4_deadline": ("a provider hangs", "the run ends `timedOut` at its deadline"),
        "target5_cancel": ("the user cancels mid-call or mid-analysis", "`cancelled` at once, worker freed"),
    }
    for key, (fault, sees) in what.items():
        values = section.get(key) or {}
        shown = ", ".join(f"{k} {_n(v)}" for k, v in values.items()
                          if isinstance(v, (int, float)) and not isinstance(v, bool))
        lines.append(f"| {fault} | {sees} | {shown or '–'} |")
    return lines + [""]


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [row for key, inner in value.items() for row in _flatten(inner, f"{prefix}{key}.")]
    if isinstance(value, list):
        if len(value) <= 8 and all(not isinstance(v, (dict, list)) for v in value):
            return [(prefix.rstrip("."), ", ".join(_n(v) for v in value))]
        return [row for index, inner in enumerate(value[:8])
                for row in _flatten(inner, f"{prefix}{index}.")]
    return [(prefix.rstrip("."), value)]


def _scripted(section: dict[str, Any] | None) -> list[str]:
    if not section or _error(section):
        return [f"Not measured: {_error(section)}", ""]
    lines: list[str] = []
    for script, output in section.items():
        if not isinstance(output, dict):
            continue
        lines += [f"#### `bench/{script}`", "", "| figure | value |", "|---|---|"]
        rows = [(k, v) for k, v in _flatten(output) if k != "sectionSeconds"]
        lines += [f"| {k} | {v if isinstance(v, (bool, str)) else _n(v)} |" for k, v in rows[:40]]
        lines.append("")
    return lines


def render_performance(results: dict[str, Any]) -> str:
    s = results["sections"]
    lines = [BEGIN, "", "_Generated by `scripts/bench.sh` from `bench/results/latest.json`; "
             "do not edit by hand._", "", machine_line(results), ""]
    lines += ["### Side by side", ""]
    lines += _sides_table("Per click: open connection vs a process per click", s.get("perClick") or {})
    lines += _sides_table("First click vs later clicks (workflow run, instant local provider)",
                          s.get("firstClick") or {})
    if "firstAnalysis" in s:  # since issue 22 (results committed before it have none)
        lines += _sides_table("Start-up: spawn → first analysis, health, an estimate (fresh server each)",
                              s["firstAnalysis"])
    analysis = s.get("analysis") or {}
    lines += _sides_table(f"Analysis throughput on real files ({analysis.get('corpus', '?')}, "
                          f"{_n(analysis.get('files'))} files, {_n(analysis.get('lines'))} lines)", analysis)
    if analysis.get("keelServerPerEditorFile"):
        lines += [f"Per editor-sized file (≤ 2,000 lines) in the server: "
                  f"{_spread(analysis['keelServerPerEditorFile'])}; p99 "
                  f"{_n(analysis['keelServerPerEditorFile']['p99'], 'ms')}.", ""]
    estimate = s.get("estimate") or {}
    lines += _sides_table(f"Estimate over {_n(estimate.get('files'))} files", estimate)
    lines += ["### Resilience targets against fault injection", ""] + _resilience(s.get("resilience"))
    lines += ["### Memory of the server's process tree", ""] + _memory(s.get("memory"))
    lines += ["### Scaling curves", ""] + _curve_tables(s.get("curves") or {})
    lines += ["### Robustness: fuzzed messages", ""] + _robustness(s.get("robustness"))
    if "serverBenches" in s:
        lines += ["### Server figures (standalone benches, same run)", ""] + _scripted(s["serverBenches"])
    return "\n".join(lines).rstrip() + "\n\n" + END


def render_faults(results: dict[str, Any]) -> str:
    """The fault matrix for docs/reliability.md: fault → what the user sees → figure."""
    rows = _resilience(results["sections"].get("resilience"))
    fuzz = results["sections"].get("robustness") or {}
    if rows and rows[0].startswith("|") and not _error(fuzz):
        messages = fuzz.get("messages", fuzz.get("fuzzed_messages"))
        rows.insert(-1, f"| {_n(messages)} malformed or fuzzed JSON-RPC messages "
                        f"({_n(fuzz.get('cases'))} cases) | -32700/-32600 answers, the server keeps "
                        f"serving | crashes {_n(fuzz.get('crashes'))}, deaf states "
                        f"{_n(fuzz.get('deaf_states'))}, probes {fuzz.get('probes_answered_correctly')}/"
                        f"{fuzz.get('probes')} answered right |")
    return "\n".join([FAULTS_BEGIN, "", machine_line(results), "", *rows]).rstrip() + "\n" + FAULTS_END


def render_claims(results: dict[str, Any]) -> str:
    s = results["sections"]
    m = results["machine"]
    claims = []
    per_click = s.get("perClick") or {}
    if not _error(per_click):
        sides = per_click["sides"]
        claims.append(f"an uncached analysis over the open connection takes "
                      f"{_n(sides['keelAnalyzeOpenConnection']['median'], 'ms')} against "
                      f"{_n(sides['processPerClickAnalyze']['median'], 'ms')} for a process per click "
                      f"({_n(per_click['ratios']['analyze: process per click / open connection'])}×)")
    first = s.get("firstClick") or {}
    if not _error(first):
        claims.append(f"the first workflow run after start takes {_n(first['sides']['firstRun']['median'], 'ms')}"
                      f", later ones {_n(first['sides']['laterRuns']['median'], 'ms')}")
    estimate = s.get("estimate") or {}
    if not _error(estimate):
        claims.append(f"a warm estimate over {_n(estimate['files'])} files takes "
                      f"{_n(estimate['sides']['warm']['median'], 'ms')} "
                      f"({_n(estimate['ratios']['naive read / warm'])}× faster than reading every file)")
    fuzz = s.get("robustness") or {}
    if not _error(fuzz):
        messages = fuzz.get("messages", fuzz.get("fuzzed_messages"))
        alive = fuzz.get("crashes") == 0 if "crashes" in fuzz else fuzz.get("server_alive")
        claims.append(f"{_n(messages)} fuzzed messages in {_n(fuzz.get('cases'))} cases gave "
                      f"{_n(fuzz.get('crashes'))} crashes and {_n(fuzz.get('deaf_states'))} deaf "
                      f"states, {'the server kept serving' if alive else 'the server DIED'}")
    text = "; ".join(claims) or "no figures yet"
    return (f"{CLAIMS_BEGIN}\nMeasured by `scripts/bench.sh` on {m['cores']} cores "
            f"(load average {results['loadAverageBefore'][0]} at the start): {text}. "
            f"Details, spreads and curves: [docs/performance.md](docs/performance.md).\n{CLAIMS_END}")


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < 0:
        raise SystemExit(f"markers {begin} … {end} not found")
    return text[:start] + block + text[stop + len(end):]


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "keel-bench"
    PLOTS.mkdir(parents=True, exist_ok=True)
    curves = results["sections"].get("curves") or {}
    memory = results["sections"].get("memory") or {}

    def draw(name: str, points: list[dict[str, Any]], x: str, ys: dict[str, str], xlabel: str,
             ylabel: str, log: bool = True) -> None:
        if not points:
            return
        figure, axes = plt.subplots(figsize=(5.5, 3.4))
        for key, label in ys.items():
            axes.plot([p[x] for p in points], [p[key] for p in points], marker="o", label=label)
        if log:
            axes.set_xscale("log")
            axes.set_yscale("log")
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(PLOTS / f"{name}.svg", metadata={"Date": None})
        plt.close(figure)

    draw("estimate_by_files", curves.get("estimateByFiles", []), "files",
         {"coldMs": "cold", "warmMs": "warm"}, "files in workspace", "ms")
    draw("analysis_by_size", curves.get("analysisBySize", []), "lines", {"ms": "keel/analyze"},
         "lines in file", "ms")
    draw("run_by_target", curves.get("runByTarget", []), "lines", {"ms": "review run"},
         "lines in target", "ms")
    draw("health_by_in_flight", curves.get("healthByInFlight", []), "inFlight",
         {"p50Ms": "p50", "p99Ms": "p99"}, "analyses in flight", "keel/health ms")
    draw("rss_by_requests", memory.get("rssByRequestCount", []), "requests",
         {"rssMB": "RSS", "pssMB": "PSS"}, "requests served", "MB", log=False)


def render(results: dict[str, Any]) -> None:
    PERF_DOC.write_text(_replace_block(PERF_DOC.read_text(), BEGIN, END, render_performance(results)))
    README.write_text(_replace_block(README.read_text(), CLAIMS_BEGIN, CLAIMS_END, render_claims(results)))
    RELIABILITY_DOC.write_text(_replace_block(RELIABILITY_DOC.read_text(), FAULTS_BEGIN, FAULTS_END,
                                              render_faults(results)))
    plot(results)


if __name__ == "__main__":
    render(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else RESULTS).read_text()))
