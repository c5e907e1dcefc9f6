"""Run every benchmark in one go and write bench/results/latest.json, then the docs.

    python bench/suite/run.py [--quick] [--only SECTION ...] [--out FILE] [--no-render]

Sections: perClick, firstClick, analysis, estimate, resilience, memory, curves,
robustness. Each records named figures with units; the file also records the
machine (cores, memory, versions) and the load average before and after, since
these machines are shared. A section that fails records its error and the run
goes on: a figure that misses is reported as it is.
Then ``render.py`` regenerates the tables and plots of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import comparisons
import curves
from common import PYTHON, ROOT, load_average, machine

RESULTS = ROOT / "bench" / "results" / "latest.json"


def robustness(messages: int) -> dict[str, Any]:
    completed = subprocess.run([PYTHON, str(ROOT / "bench" / "fuzz_messages.py"), str(messages)],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        return {"error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(completed.stdout)


# Standalone benches whose JSON goes into the results as it is (server figures of issue 9).
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {  # name: (full args, quick args)
    "server_latency.py": (["7", "1000"], ["3", "200"]),
    "startup.py": (["--runs", "9"], ["--runs", "3"]),  # spawn → initialize / health / first answer
    "first_click.py": (["--servers", "3"], ["--servers", "1", "--runs", "3", "--warm-s", "3",
                                           "--idle-s", "3"]),
    "big_run_loop.py": (["--rounds", "1"], ["--files", "40", "--rounds", "1"]),
    "sdk_import_stall.py": (["--repeat", "2"], ["--repeat", "1"]),
    "worker_memory.py": ([], ["--lines", "20000", "--runs", "2"]),
    "exit_timing.py": (["20", "2"], ["5", "1"]),  # runs, CPU burners beside it
}


def scripted(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (full, small) in SCRIPTS.items():
        path = ROOT / "bench" / name
        if not path.exists():
            continue
        completed = subprocess.run([PYTHON, str(path), *(small if quick else full)],
                                   capture_output=True, text=True, check=False, timeout=1200)
        try:
            out[name] = json.loads(completed.stdout)
        except json.JSONDecodeError:
            tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            out[name] = {"error": f"exit {completed.returncode}: {tail}"}
    return out


async def _curves(quick: bool) -> dict[str, Any]:
    return {
        "estimateByFiles": await curves.estimate_by_files((1_000, 10_000) if quick else (1_000, 10_000, 100_000)),
        "analysisBySize": await curves.analysis_by_size((100, 1_000, 5_000) if quick else
                                                        (100, 1_000, 5_000, 10_000, 25_000, 50_000)),
        "runByTarget": await curves.run_by_target((10, 50) if quick else (10, 50, 200)),
        "healthByInFlight": await curves.health_by_in_flight((1, 16) if quick else (1, 16, 64)),
    }


def sections(quick: bool) -> dict[str, Any]:
    rounds = 3 if quick else 9
    return {
        "perClick": lambda: comparisons.per_click(rounds),
        "firstClick": lambda: comparisons.first_click(2 if quick else 3, 4 if quick else 9),
        "firstAnalysis": lambda: comparisons.first_analysis(3 if quick else 9),
        "analysis": lambda: comparisons.analysis(2 if quick else 3),
        "estimate": lambda: comparisons.estimate(2 if quick else 5, 2_000 if quick else 10_000),
        "resilience": lambda: comparisons.resilience(40 if quick else 200),
        "memory": lambda: comparisons.memory(1_000 if quick else 10_000),
        "curves": lambda: _curves(quick),
        "robustness": lambda: robustness(1_000 if quick else 10_000),
        "serverBenches": lambda: scripted(quick),
    }


def run(only: list[str] | None, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "quick": quick,
                               "startedAt": datetime.now(UTC).isoformat(timespec="seconds"),
                               "loadAverageBefore": load_average(), "sections": {}}
    for name, make in sections(quick).items():
        if only and name not in only:
            continue
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            value = make()
            if asyncio.iscoroutine(value):
                value = asyncio.run(value)
        except Exception as error:  # a failed section is a figure too; the rest still runs
            value = {"error": f"{type(error).__name__}: {error}"}
            traceback.print_exc(file=sys.stderr)
        value["sectionSeconds"] = round(time.perf_counter() - started, 1)
        results["sections"][name] = value
        print(f"[bench] {name} done in {value['sectionSeconds']} s", file=sys.stderr, flush=True)
    results["loadAverageAfter"] = load_average()
    results["finishedAt"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def _quiet_logs() -> None:
    """The in-process fake provider logs through structlog: keep stdout clean, errors only."""
    import logging

    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr),
                        wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


def main() -> None:
    _quiet_logs()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--only", nargs="*", help="run only these sections (merged into --out)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-render", action="store_true")
    args = parser.parse_args()
    results = run(args.only, args.quick)
    if args.only and args.out.exists():
        previous = json.loads(args.out.read_text())
        previous["sections"].update(results["sections"])
        for key in ("machine", "loadAverageBefore", "loadAverageAfter", "startedAt", "finishedAt"):
            previous[key] = results[key]
        results = previous
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"[bench] wrote {args.out}", file=sys.stderr)
    if not args.no_render:
        import render

        render.render(results)


if __name__ == "__main__":
    main()
