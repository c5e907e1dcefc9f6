"""``HistoryReader``: the read side on its own connection. Call its methods from a thread.

The app shares one reader between threads (requests, retention, the reliability
refresh), so every use of the connection, and closing it after a failure, holds
one lock: closing a sqlite3 connection while another thread runs a query on it
crashes the process.

Every sqlite3/OS failure is translated at the boundary into ``StorageError``.
A workspace with no history yet reads as empty and nothing is created on disk.
While the recorder (``health``) says storage is ``down``, reads fail with the
recorder's ``storage.*`` error: an empty answer would claim "no history".
Before each read the reader checks that the file it has open is still the one at
the path (``keel.storage.loss``): a history file deleted or replaced under it is
reopened, so a list is never served from a file no one writes any more.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from keel.protocol import RunSummary, UsageReport

from . import queries, retention
from .boundary import STORAGE_FAILURES, ConnectionFactory, StorageError, default_connect, translate
from .database import open_database
from .health import StorageHealth
from .loss import FileId, file_id
from .retention import CleanupReport

T = TypeVar("T")
READ_BUSY_TIMEOUT_MS = 2_000
# What a ``read`` query is given: code outside storage names it without importing sqlite3.
Connection = sqlite3.Connection


def _memory_connect(_: Path) -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)


class HistoryReader:
    def __init__(self, db_path: Path, *, connect: ConnectionFactory = default_connect,
                 health: Callable[[], StorageHealth] | None = None) -> None:
        self.db_path = Path(db_path)
        self._connect = connect
        self._health = health
        self._conn: sqlite3.Connection | None = None
        self._file_id: FileId | None = None
        self._lock = threading.RLock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and file_id(self.db_path) != self._file_id:
            self.close()
        if self._conn is None:
            if not self.db_path.exists():
                # An absent database reads as empty: an in-memory one with the current schema,
                # not kept, so the file the recorder creates a moment later is read next time.
                return open_database(self.db_path, _memory_connect)
            self._conn = open_database(self.db_path, self._connect)
            self._file_id = file_id(self.db_path)
            # Without WAL a read waits for a commit in progress: wait for it, not fail.
            self._conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        return self._conn

    def _refuse_when_down(self) -> None:
        health = self._health() if self._health is not None else None
        if health is not None and health.status == "down":
            raise StorageError(health.detail, kind="persistent", fix=health.fix,
                               code=health.last_error or "storage.unavailable")

    def _guard(self, read: Callable[[sqlite3.Connection], T]) -> T:
        self._refuse_when_down()
        with self._lock:
            try:
                return read(self._connection())
            except STORAGE_FAILURES as exc:
                self.close()
                raise translate(exc, self.db_path) from exc

    def read(self, query: Callable[[Connection], T]) -> T:
        """Run ``query`` on this reader's connection; storage failures come out translated."""
        return self._guard(query)

    def list_runs(self, limit: int = 50, workflow: str | None = None) -> list[RunSummary]:
        return self._guard(lambda conn: queries.list_runs(conn, limit, workflow))

    def usage_report(self, days: int = 30, now: datetime | None = None) -> UsageReport:
        return self._guard(lambda conn: queries.usage_report(conn, days, now))

    def has_run(self, run_id: str) -> bool:
        """Whether history holds a run with this id (from any process, finished or not)."""
        return self._guard(lambda conn: conn.execute(
            "SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None)

    def run_report(self, run_id: str) -> str | None:
        """The report markdown recorded when the run finished (None: none was kept)."""
        def query(conn: Connection) -> str | None:
            row = conn.execute("SELECT report_markdown FROM runs WHERE run_id = ?",
                               (run_id,)).fetchone()
            return row[0] if row else None

        return self._guard(query)

    def run_id_taken(self, run_id: str) -> bool:
        """``has_run``, or False when history cannot be read (the owner guard still applies)."""
        try:
            return self.has_run(run_id)
        except StorageError:
            return False

    def estimator_error(self, workflow: str | None = None) -> tuple[int, float | None]:
        return self._guard(lambda conn: queries.estimator_error(conn, workflow))

    def cleanup(self, retention_days: int = retention.DEFAULT_RETENTION_DAYS,
                max_bytes: int = retention.DEFAULT_MAX_BYTES, dry_run: bool = True,
                now: datetime | None = None) -> CleanupReport:
        if not self.db_path.exists():
            return CleanupReport(0, 0, 0, 0, dry_run)
        return self._guard(
            lambda conn: retention.cleanup(conn, retention_days, max_bytes, dry_run, now))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> HistoryReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
