"""The reliability side of history: request, start and write events, and the counts reports read.

Writers enqueue ``request_event`` / ``server_start_event`` on the recorder like
any other event; ``METRIC_EVENTS`` writes them into the v5 rollups.
``reliability_counts`` reads every figure a report's metrics, alerts and
warnings need for a window from the per-day rollups and the (normally empty)
cost-anomaly indexes, so its cost does not grow with the number of calls.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .metrics_schema import CALL_COST_ANOMALY, IMPLAUSIBLE_RUN_USD, RUN_COST_ANOMALY

REQUEST = "request"
SERVER_START = "server_start"


def request_event(method: str, failed: bool, at: str) -> tuple[str, Any]:
    return REQUEST, (at[:10], method, int(bool(failed)))


def server_start_event(config_error: bool, at: str) -> tuple[str, Any]:
    return SERVER_START, (at[:10], int(bool(config_error)))


def _apply_request(conn: sqlite3.Connection, payload: tuple[Any, ...]) -> None:
    conn.execute(
        "INSERT INTO request_rollup (day, method, requests, failed) VALUES (?, ?, 1, ?) "
        "ON CONFLICT (day, method) DO UPDATE SET requests = requests + 1, "
        "failed = failed + excluded.failed", payload)


def _apply_start(conn: sqlite3.Connection, payload: tuple[Any, ...]) -> None:
    conn.execute(
        "INSERT INTO start_rollup (day, starts, config_errors) VALUES (?, 1, ?) "
        "ON CONFLICT (day) DO UPDATE SET starts = starts + 1, "
        "config_errors = config_errors + excluded.config_errors", payload)


METRIC_EVENTS = {REQUEST: _apply_request, SERVER_START: _apply_start}


def record_writes(conn: sqlite3.Connection, day: str, written: int) -> None:
    """Count events committed (in the same transaction as the events themselves)."""
    conn.execute(
        "INSERT INTO write_rollup (day, written) VALUES (?, ?) "
        "ON CONFLICT (day) DO UPDATE SET written = written + excluded.written", (day, written))


@dataclass
class ReliabilityCounts:
    """Raw counts of one window; ``keel.reliability`` turns them into metrics and warnings."""

    requests: dict[str, tuple[int, int]] = field(default_factory=dict)  # method → (all, failed)
    starts: int = 0
    config_errors: int = 0
    written: int = 0
    dropped: int = 0
    model_calls: int = 0
    fallback_calls: int = 0
    recoveries: dict[str, tuple[int, int]] = field(default_factory=dict)  # provider → (n, ms)
    models: list[tuple[str, str, int, float]] = field(default_factory=list)
    negative_runs: int = 0
    implausible_runs: int = 0
    unmeasured_baseline_runs: int = 0
    unmeasured_baseline_usd: float = 0.0
    negative_calls: int = 0
    implausible_calls: int = 0
    # (day, samples, sum of |error %|) for every day up to the window's last, oldest first:
    # the band an estimate was quoted with comes from the days before it.
    estimator_days: list[tuple[str, int, float]] = field(default_factory=list)


def reliability_counts(conn: sqlite3.Connection, first: str, last: str) -> ReliabilityCounts:
    """Everything ``[first, last]`` (UTC days, inclusive) holds for the reliability figures."""
    window = (first, last)
    counts = ReliabilityCounts()
    for method, requests, failed in conn.execute(
        "SELECT method, sum(requests), sum(failed) FROM request_rollup "
        "WHERE day BETWEEN ? AND ? GROUP BY method ORDER BY method", window):
        counts.requests[method] = (int(requests), int(failed))
    counts.starts, counts.config_errors = (int(v) for v in conn.execute(
        "SELECT total(starts), total(config_errors) FROM start_rollup WHERE day BETWEEN ? AND ?",
        window).fetchone())
    counts.written = int(conn.execute(
        "SELECT total(written) FROM write_rollup WHERE day BETWEEN ? AND ?", window).fetchone()[0])
    counts.dropped = int(conn.execute(
        "SELECT total(dropped) FROM event_drops WHERE day BETWEEN ? AND ?", window).fetchone()[0])
    counts.model_calls, counts.fallback_calls = (int(v) for v in conn.execute(
        "SELECT total(calls), total(fallbacks) FROM call_rollup WHERE day BETWEEN ? AND ?",
        window).fetchone())
    for provider, n, ms in conn.execute(
        "SELECT provider, sum(recoveries), sum(recovery_ms) FROM recovery_rollup "
        "WHERE day BETWEEN ? AND ? GROUP BY provider ORDER BY provider", window):
        counts.recoveries[provider] = (int(n), int(ms))
    counts.models = [
        (provider, model, int(calls), float(usd)) for provider, model, calls, usd in conn.execute(
            "SELECT provider, model, sum(calls), total(usd) FROM model_rollup "
            "WHERE day BETWEEN ? AND ? GROUP BY provider, model ORDER BY provider, model", window)
    ]
    _read_cost_anomalies(conn, counts, first, last)
    counts.estimator_days = [
        (day, int(samples), float(abs_sum)) for day, samples, abs_sum in conn.execute(
            "SELECT day, sum(samples), total(abs_pct_sum) FROM estimator_rollup "
            "WHERE day <= ? GROUP BY day ORDER BY day", (last,))
    ]
    return counts


def _read_cost_anomalies(conn: sqlite3.Connection, counts: ReliabilityCounts,
                         first: str, last: str) -> None:
    # Timestamps sort as text; the day after ``last`` bounds the window from above.
    low, high = first, last + "T99"
    for actual, baseline in conn.execute(
        f"SELECT actual_usd, baseline_usd FROM runs WHERE {RUN_COST_ANOMALY} "
        "AND started_at >= ? AND started_at < ?", (low, high)):
        if actual < 0 or baseline < 0:
            counts.negative_runs += 1
        elif actual > IMPLAUSIBLE_RUN_USD:
            counts.implausible_runs += 1
        if baseline == 0 and actual > 0:
            counts.unmeasured_baseline_runs += 1
            counts.unmeasured_baseline_usd += actual
    for (usd,) in conn.execute(
        f"SELECT usd FROM model_calls WHERE {CALL_COST_ANOMALY} AND at >= ? AND at < ?",
        (low, high)):
        if usd < 0:
            counts.negative_calls += 1
        else:
            counts.implausible_calls += 1
