"""Rebuilding the per-day rollups from the base tables.

Triggers keep the rollups current on every insert (see ``schema.V3``); this
module recomputes them when rows were deleted (retention) or when a database
is migrated to v3. Runs inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from .metrics_schema import has_model_rollup, rebuild_model_rollup

# The model-call outcomes counted as failures, here and by the v3 triggers (``schema.V3``).
FAILING_OUTCOMES = ("failed", "timedOut", "refused")
_MAX_DAY = "9999-12-31"


def _skip_estimated(conn: sqlite3.Connection) -> str:
    """Stages whose usage was estimated are no evidence for the estimator (schema v7 on;
    a database migrating through v3 has no such column yet)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(stages)")}
    return " AND NOT s.cost_estimated" if "cost_estimated" in columns else ""


def rebuild_rollups(conn: sqlite3.Connection, through_day: str = _MAX_DAY) -> None:
    """Recompute every rollup row for days up to ``through_day`` (inclusive)."""
    day = through_day
    conn.execute("DELETE FROM run_rollup WHERE day <= ?", (day,))
    conn.execute(
        """INSERT INTO run_rollup (day, workflow, status, runs, actual_usd, baseline_usd)
           SELECT substr(started_at, 1, 10) AS d, workflow, status, count(*),
                  total(actual_usd), total(baseline_usd)
           FROM runs WHERE substr(started_at, 1, 10) <= ? GROUP BY d, workflow, status""",
        (day,),
    )
    conn.execute("DELETE FROM call_rollup WHERE day <= ?", (day,))
    conn.execute(
        """INSERT INTO call_rollup (day, workflow, provider, calls, succeeded, failed,
                                    timed_out, fallbacks, attempts, usd)
           SELECT substr(c.at, 1, 10) AS d, COALESCE(r.workflow, '') AS w, c.provider,
                  count(*), total(c.outcome = 'succeeded'),
                  total(c.outcome IN ('failed', 'refused')), total(c.outcome = 'timedOut'),
                  total(c.fallback != 0), total(c.attempts), total(c.usd)
           FROM model_calls c LEFT JOIN runs r ON r.run_id = c.run_id
           WHERE substr(c.at, 1, 10) <= ? GROUP BY d, w, c.provider""",
        (day,),
    )
    conn.execute("DELETE FROM estimator_rollup WHERE day <= ?", (day,))
    conn.execute(
        f"""INSERT INTO estimator_rollup (day, workflow, samples, abs_pct_sum, pct_sum)
           SELECT d, workflow, count(*), total(abs(err)), total(err) FROM (
               SELECT substr(r.started_at, 1, 10) AS d, r.workflow,
                      100.0 * (s.estimated_input_tokens + COALESCE(s.estimated_output_tokens, 0)
                               - s.input_tokens - s.output_tokens)
                      / (s.input_tokens + s.output_tokens) AS err
               FROM stages s JOIN runs r ON r.run_id = s.run_id
               WHERE s.estimated_input_tokens IS NOT NULL{_skip_estimated(conn)}
                 AND s.input_tokens + s.output_tokens > 0
                 AND substr(r.started_at, 1, 10) <= ?)
           GROUP BY d, workflow""",
        (day,),
    )
    if has_model_rollup(conn):  # absent while an older database migrates through v3
        rebuild_model_rollup(conn, day)
    _rebuild_recoveries(conn)


def _rebuild_recoveries(conn: sqlite3.Connection) -> None:
    """Replay every provider's calls in time order: first failure → next success."""
    conn.execute("DELETE FROM recovery_rollup")
    conn.execute("DELETE FROM provider_outage")
    totals: dict[tuple[str, str], list[int]] = {}
    outage: dict[str, str] = {}
    rows = conn.execute("SELECT provider, outcome, at FROM model_calls ORDER BY provider, at, id")
    for provider, outcome, at in rows:
        if outcome in FAILING_OUTCOMES:
            outage.setdefault(provider, at)
        elif outcome == "succeeded" and provider in outage:
            since = outage.pop(provider)
            entry = totals.setdefault((at[:10], provider), [0, 0])
            entry[0] += 1
            entry[1] += _ms_between(since, at)
    conn.executemany(
        "INSERT INTO recovery_rollup (day, provider, recoveries, recovery_ms) VALUES (?, ?, ?, ?)",
        [(day, provider, n, ms) for (day, provider), (n, ms) in totals.items()],
    )
    conn.executemany("INSERT INTO provider_outage (provider, since_at) VALUES (?, ?)",
                     list(outage.items()))


def _ms_between(start: str, end: str) -> int:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() * 1000)
