"""Reads behind ``keel/runs`` and ``keel/report``: plain sync functions on a connection.

Reports read the per-day rollups (a few rows per day), never the model calls
themselves, so their cost does not grow with the number of recorded calls.
The report window is ``days`` UTC calendar days ending on the day of ``now``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from keel.protocol import EstimatorError, RunSummary, UsageBreakdown, UsageReport

UNKNOWN_WORKFLOW = "(unknown)"


def list_runs(conn: sqlite3.Connection, limit: int = 50,
              workflow: str | None = None) -> list[RunSummary]:
    """The newest ``limit`` runs first, optionally of one workflow."""
    sql = ("SELECT run_id, workflow, target, status, started_at, duration_ms, actual_usd "
           "FROM runs {where} ORDER BY started_at DESC, rowid DESC LIMIT ?")
    if workflow is None:
        rows = conn.execute(sql.format(where=""), (limit,))
    else:
        rows = conn.execute(sql.format(where="WHERE workflow = ?"), (workflow, limit))
    return [
        RunSummary(run_id=r[0], workflow=r[1], target=r[2], status=r[3], started_at=r[4],
                   duration_ms=r[5], actual_usd=round(r[6], 6))
        for r in rows
    ]


def estimator_error(conn: sqlite3.Connection,
                    workflow: str | None = None) -> tuple[int, float | None]:
    """(samples, mean absolute % error of estimated vs actual stage tokens), all time."""
    sql = "SELECT total(samples), total(abs_pct_sum) FROM estimator_rollup"
    row = (conn.execute(sql).fetchone() if workflow is None
           else conn.execute(sql + " WHERE workflow = ?", (workflow,)).fetchone())
    samples = int(row[0])
    return samples, (row[1] / samples if samples else None)


def report_window(days: int, now: datetime | None = None) -> tuple[str, str]:
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


def usage_report(conn: sqlite3.Connection, days: int = 30,
                 now: datetime | None = None) -> UsageReport:
    first, last = report_window(days, now)
    window = (first, last)
    by_workflow: dict[str, UsageBreakdown] = defaultdict(_breakdown)
    by_provider: dict[str, UsageBreakdown] = defaultdict(_breakdown)
    by_day: dict[str, UsageBreakdown] = defaultdict(_breakdown)
    status_totals: dict[str, int] = defaultdict(int)

    for day, workflow, status, runs, actual, baseline in conn.execute(
        "SELECT day, workflow, status, runs, actual_usd, baseline_usd FROM run_rollup "
        "WHERE day BETWEEN ? AND ? AND runs != 0", window,
    ):
        status_totals[status] += runs
        for entry in (by_workflow[workflow], by_day[day]):
            _add_runs(entry, status, runs, actual, baseline)

    for day, workflow, provider, calls, ok, failed, timed_out, fallbacks, attempts, usd in (
        conn.execute(
            "SELECT day, workflow, provider, calls, succeeded, failed, timed_out, fallbacks, "
            "attempts, usd FROM call_rollup WHERE day BETWEEN ? AND ? AND calls != 0", window,
        )
    ):
        counts = (calls, ok, failed, timed_out, fallbacks, attempts)
        _add_calls(by_provider[provider], *counts, with_outcomes=True)
        by_provider[provider].actual_usd += usd
        _add_calls(by_workflow[workflow or UNKNOWN_WORKFLOW], *counts)
        _add_calls(by_day[day], *counts)

    recoveries, recovery_ms = 0, 0
    for provider, n, ms in conn.execute(
        "SELECT provider, sum(recoveries), sum(recovery_ms) FROM recovery_rollup "
        "WHERE day BETWEEN ? AND ? GROUP BY provider", window,
    ):
        by_provider[provider].mean_time_to_recovery_ms = round(ms / n) if n else None
        recoveries, recovery_ms = recoveries + n, recovery_ms + ms

    runs = sum(status_totals.values())
    completed = runs - status_totals["running"]
    calls = sum(p.calls for p in by_provider.values())
    actual = sum(w.actual_usd for w in by_workflow.values())
    baseline = sum(w.baseline_usd for w in by_workflow.values())
    dropped = conn.execute(
        "SELECT total(dropped) FROM event_drops WHERE day BETWEEN ? AND ?", window
    ).fetchone()[0]
    return UsageReport(
        days=days,
        runs=runs,
        succeeded=status_totals["succeeded"],
        failed=status_totals["failed"],
        cancelled=status_totals["cancelled"],
        timed_out=status_totals["timedOut"],
        partial=status_totals["partial"],
        interrupted=status_totals["interrupted"],
        running=status_totals["running"],
        success_rate=_ratio(status_totals["succeeded"], completed),
        timeout_rate=_ratio(status_totals["timedOut"], completed),
        fallback_rate=_ratio(sum(p.fallbacks for p in by_provider.values()), calls),
        retry_amplification=_ratio(sum(p.attempts for p in by_provider.values()), calls),
        mean_time_to_recovery_ms=round(recovery_ms / recoveries) if recoveries else None,
        actual_usd=round(actual, 6),
        baseline_usd=round(baseline, 6),
        savings_usd=round(baseline - actual, 6),
        by_workflow=_finish(by_workflow),
        by_provider=_finish(by_provider),
        by_day=_finish(by_day),
        estimator=_estimator(conn, window),
        dropped_events=int(dropped),
    )


def _breakdown() -> UsageBreakdown:
    return UsageBreakdown(key="")


def _add_runs(entry: UsageBreakdown, status: str, runs: int, actual: float,
              baseline: float) -> None:
    entry.runs += runs
    entry.succeeded += runs if status == "succeeded" else 0
    entry.failed += runs if status == "failed" else 0
    entry.timed_out += runs if status == "timedOut" else 0
    entry.actual_usd += actual
    entry.baseline_usd += baseline


def _add_calls(entry: UsageBreakdown, calls: int, ok: int, failed: int, timed_out: int,
               fallbacks: int, attempts: int, *, with_outcomes: bool = False) -> None:
    entry.calls += calls
    entry.fallbacks += fallbacks
    entry.attempts += attempts
    if with_outcomes:
        # A provider has no runs of its own: its outcome counts are its calls'.
        entry.succeeded += ok
        entry.failed += failed
        entry.timed_out += timed_out


def _finish(entries: dict[str, UsageBreakdown]) -> list[UsageBreakdown]:
    result = []
    for key in sorted(entries):
        entry = entries[key]
        entry.key = key
        entry.success_rate = _ratio(entry.succeeded, entry.runs or entry.calls)
        entry.actual_usd = round(entry.actual_usd, 6)
        entry.baseline_usd = round(entry.baseline_usd, 6)
        entry.savings_usd = round(entry.baseline_usd - entry.actual_usd, 6)
        result.append(entry)
    return result


def _estimator(conn: sqlite3.Connection, window: tuple[str, str]) -> EstimatorError:
    samples, abs_sum, signed_sum = conn.execute(
        "SELECT total(samples), total(abs_pct_sum), total(pct_sum) FROM estimator_rollup "
        "WHERE day BETWEEN ? AND ?", window,
    ).fetchone()
    n = int(samples)
    if not n:
        return EstimatorError(samples=0)
    return EstimatorError(samples=n, mean_abs_pct_error=round(abs_sum / n, 4),
                          mean_pct_error=round(signed_sum / n, 4))


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0
