"""``keel/report`` over 1,000,000 recorded model calls. Prints JSON. Goal: median ≤ 200 ms.

Bulk-inserts through the real schema (its triggers keep the rollups), with
injected failures (1 % of requests failed, one start in 20 with a config
error, a few dropped events, unpriced models, runs with no baseline, a
negative cost), then times what ``keel/report`` answers, ``reliability_report``
(metrics, alerts and warnings included; median of 5), the plain
``usage_report`` and ``list_runs``.
Usage: python bench/storage_report.py [--calls 1000000] [--calls-per-run 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from keel.reliability.report import reliability_report
from keel.storage import HistoryReader, open_database
from keel.storage.events import INSERT_CALL, record_drops
from keel.storage.metrics import METRIC_EVENTS, record_writes, request_event, server_start_event

WORKFLOWS = ("review", "docs", "security-audit", "summarize")
PROVIDERS = ("anthropic", "openai", "local")
OUTCOMES = ("succeeded",) * 17 + ("failed", "timedOut", "refused")
RUN_STATUSES = ("succeeded",) * 8 + ("failed", "timedOut", "cancelled", "partial")


def generate(path: Path, calls: int, calls_per_run: int, now: datetime) -> float:
    rng = random.Random(7)
    conn = open_database(path)
    started = time.perf_counter()
    conn.execute("BEGIN")
    runs = calls // calls_per_run
    span_ms = 30 * 86_400_000
    for first in range(0, runs, 10_000):
        run_rows, stage_rows, call_rows = [], [], []
        for n in range(first, min(runs, first + 10_000)):
            at = now - timedelta(milliseconds=span_ms * (runs - n) // runs)
            start = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            workflow = WORKFLOWS[n % len(WORKFLOWS)]
            run_id = f"run-{n:08d}"
            baseline = 0.0 if n % 5_000 == 0 else 0.09  # injected: no baseline measured
            actual = -0.01 if n == runs - 777 else 0.02  # injected: one negative cost
            run_rows.append((run_id, workflow, "src/x.py", rng.choice(RUN_STATUSES), start,
                             start, 4_000, actual, baseline, "[]"))
            stage_rows.append((run_id, "main", "succeeded", 5_000, 600, 6_000, 500))
            for k in range(calls_per_run):
                model = "m-unpriced" if n % 1_000 == 0 else "gpt-4o-mini"
                call_rows.append((run_id, "main", PROVIDERS[(n + k) % 3], model, "capable",
                                  1_000, 120, 0.004, 700, 1 + (k == 0 and n % 4 == 0),
                                  int(n % 10 == 0), "closed", rng.choice(OUTCOMES), None,
                                  None, start))
        conn.executemany(
            "INSERT INTO runs (run_id, workflow, target, status, started_at, finished_at, "
            "duration_ms, actual_usd, baseline_usd, degraded) VALUES (?,?,?,?,?,?,?,?,?,?)",
            run_rows)
        conn.executemany(
            "INSERT INTO stages (run_id, stage_id, status, input_tokens, output_tokens, "
            "estimated_input_tokens, estimated_output_tokens) VALUES (?,?,?,?,?,?,?)",
            stage_rows)
        conn.executemany(INSERT_CALL, call_rows)
    _reliability_events(conn, rng, runs, now)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def _reliability_events(conn, rng: random.Random, runs: int, now: datetime) -> None:
    """Per day: requests (1 % failed), server starts (5 % with a config error), writes, drops."""
    for day_back in range(30):
        day = (now - timedelta(days=day_back)).strftime("%Y-%m-%dT12:00:00.000Z")
        for n in range(runs // 30 * 4):  # a few requests per run
            method = ("keel/health", "keel/estimateCost", "keel/runWorkflow", "keel/report")[n % 4]
            kind, payload = request_event(method, rng.random() < 0.01, day)
            METRIC_EVENTS[kind](conn, payload)
        for n in range(20):
            kind, payload = server_start_event(n == 0, day)
            METRIC_EVENTS[kind](conn, payload)
        record_writes(conn, day[:10], runs // 30 * 7)
        record_drops(conn, day[:10], rng.randint(0, 3))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--calls-per-run", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Write the database here.")
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr),
                        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        path = (args.keep or Path(scratch)) / "history.db"
        insert_s = generate(path, args.calls, args.calls_per_run, now)
        with HistoryReader(path) as reader:
            report_ms, plain_ms, runs_ms = [], [], []
            for _ in range(5):
                t0 = time.perf_counter()
                report = reliability_report(reader, 30, now)
                report_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                reader.usage_report(days=30, now=now)
                plain_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                reader.list_runs(limit=50)
                runs_ms.append((time.perf_counter() - t0) * 1000)
        size = path.stat().st_size
    print(json.dumps({
        "model_calls": args.calls,
        "runs": args.calls // args.calls_per_run,
        "bulk_insert_seconds": round(insert_s, 2),
        "database_mb": round(size / 1e6, 1),
        "report_with_alerts_median_ms": round(statistics.median(report_ms), 2),
        "report_with_alerts_max_ms": round(max(report_ms), 2),
        "goal_report_ms": 200,
        "usage_report_without_reliability_median_ms": round(statistics.median(plain_ms), 2),
        "list_runs_median_ms": round(statistics.median(runs_ms), 3),
        "report_runs": report.runs,
        "report_calls": sum(p.calls for p in report.by_provider),
        "report_mttr_ms": report.mean_time_to_recovery_ms,
        "alerts": [f"{a.level} {a.metric}{'/' + a.key if a.key else ''} {a.value}"
                   for a in report.alerts],
        "warnings": {w.code: w.count for w in report.warnings},
    }, indent=2))


if __name__ == "__main__":
    main()
