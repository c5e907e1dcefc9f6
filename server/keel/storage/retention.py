"""Retention by age and size. A dry run does the same deletes in a transaction it rolls back."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .rollups import rebuild_rollups

DEFAULT_RETENTION_DAYS = 90
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_MAX_SIZE_ROUNDS = 30


@dataclass(frozen=True)
class CleanupReport:
    runs_deleted: int
    calls_deleted: int
    bytes_before: int
    bytes_after: int
    dry_run: bool


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes in pages that hold data (free pages only go away with VACUUM)."""
    pages = _pragma_int(conn, "page_count")
    free = _pragma_int(conn, "freelist_count")
    return (pages - free) * _pragma_int(conn, "page_size")


def file_bytes(conn: sqlite3.Connection) -> int:
    return _pragma_int(conn, "page_count") * _pragma_int(conn, "page_size")


def _pragma_int(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def cleanup(conn: sqlite3.Connection, retention_days: int = DEFAULT_RETENTION_DAYS,
            max_bytes: int = DEFAULT_MAX_BYTES, dry_run: bool = True,
            now: datetime | None = None) -> CleanupReport:
    """Delete runs started before the last ``retention_days`` UTC days, then the oldest
    runs until the data fits in ``max_bytes``. VACUUM (and so a smaller file) only on apply.
    Running runs are never deleted."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    cutoff_day = (today - timedelta(days=retention_days - 1)).isoformat()
    bytes_before = file_bytes(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (run_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.doomed")
        conn.execute("INSERT INTO temp.doomed SELECT run_id FROM runs "
                     "WHERE started_at < ? AND status != 'running'", (cutoff_day,))
        runs, calls = _delete_doomed(conn)
        calls += conn.execute("DELETE FROM model_calls WHERE at < ?", (cutoff_day,)).rowcount
        conn.execute("DELETE FROM estimates WHERE at < ?", (cutoff_day,))
        conn.execute("DELETE FROM event_drops WHERE day < ?", (cutoff_day,))
        last_day = _day_before(cutoff_day)
        size_runs, size_calls, size_last_day = _shrink_to(conn, max_bytes)
        runs, calls = runs + size_runs, calls + size_calls
        last_day = max(last_day, size_last_day or "")
        if runs or calls:
            rebuild_rollups(conn, through_day=last_day)
        bytes_after = used_bytes(conn)
        conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if not dry_run:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        bytes_after = file_bytes(conn)
    return CleanupReport(runs, calls, bytes_before, bytes_after, dry_run)


def _delete_doomed(conn: sqlite3.Connection) -> tuple[int, int]:
    calls = conn.execute(
        "DELETE FROM model_calls WHERE run_id IN (SELECT run_id FROM temp.doomed)").rowcount
    conn.execute("DELETE FROM stages WHERE run_id IN (SELECT run_id FROM temp.doomed)")
    runs = conn.execute(
        "DELETE FROM runs WHERE run_id IN (SELECT run_id FROM temp.doomed)").rowcount
    conn.execute("DELETE FROM temp.doomed")
    return runs, calls


def _shrink_to(conn: sqlite3.Connection, max_bytes: int) -> tuple[int, int, str | None]:
    """Delete the oldest runs in growing chunks until the used pages fit in ``max_bytes``."""
    runs = calls = 0
    last_day: str | None = None
    for _ in range(_MAX_SIZE_ROUNDS):
        used = used_bytes(conn)
        if used <= max_bytes:
            break
        remaining = conn.execute("SELECT count(*) FROM runs WHERE status != 'running'")
        total = remaining.fetchone()[0]
        if total == 0:
            break
        # Half the proportional share per round: freed space lags deleted rows (pages
        # free only when empty), so a full share would overshoot.
        chunk = max(1, math.ceil(total * (used - max_bytes) / used / 2))
        row = conn.execute(
            "SELECT max(started_at) FROM (SELECT started_at FROM runs WHERE status != 'running' "
            "ORDER BY started_at LIMIT ?)", (chunk,)).fetchone()
        conn.execute("INSERT INTO temp.doomed SELECT run_id FROM runs WHERE status != 'running' "
                     "ORDER BY started_at LIMIT ?", (chunk,))
        deleted_runs, deleted_calls = _delete_doomed(conn)
        runs, calls = runs + deleted_runs, calls + deleted_calls
        last_day = max(last_day or "", row[0][:10])
    return runs, calls, last_day


def _day_before(day: str) -> str:
    return (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()
