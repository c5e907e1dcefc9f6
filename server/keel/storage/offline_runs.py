"""Partial runs that are offline by design: their only gaps are model stages skipped because
nothing may leave (Restricted Mode) or nothing can (no provider has a key).

Reliability counts them with the successes (docs/reliability.md, "Metrics"): a
workspace with no key, run every day, must not read as "success 0 %". A run is
one when a stage was recorded ``error_type = 'offline'`` and no stage failed or
was otherwise degraded. Rows written before that marker are recognised by the
skip notes those versions wrote.
"""

from __future__ import annotations

import sqlite3

_LEGACY_OFFLINE_NOTE = ("s.status = 'skipped' AND s.error_type IS NULL AND "
                        "(s.note LIKE '%no model provider has a key%' OR s.note LIKE '%not trusted%')")
_OFFLINE = f"(s.error_type = 'offline' OR ({_LEGACY_OFFLINE_NOTE}))"
_TROUBLE = ("(s.status = 'failed' OR s.note LIKE '%(stale)%' OR "
            "(s.error_type IS NOT NULL AND s.error_type != 'offline'))")


def offline_partial_runs(conn: sqlite3.Connection, first: str,
                         last: str) -> dict[tuple[str, str], int]:
    """{(UTC day, workflow): offline-by-design partial runs} started between the two days."""
    rows = conn.execute(
        f"""SELECT substr(r.started_at, 1, 10) AS d, r.workflow, count(*) FROM runs r
            WHERE r.status = 'partial' AND substr(r.started_at, 1, 10) BETWEEN ? AND ?
              AND EXISTS (SELECT 1 FROM stages s WHERE s.run_id = r.run_id AND {_OFFLINE})
              AND NOT EXISTS (SELECT 1 FROM stages s WHERE s.run_id = r.run_id AND {_TROUBLE})
            GROUP BY d, r.workflow""",  # noqa: S608 - fixed SQL fragments, values bound
        (first, last))
    return {(day, workflow): int(n) for day, workflow, n in rows}
