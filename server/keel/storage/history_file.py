"""The writer's connection to the history file, and which file that is (``keel.storage.loss``).

Owned by the recorder's writer thread only: opening (with the once-per-process
marking of interrupted runs), noticing that the file at the path is no longer the
one open, and starting a new history in its place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .boundary import STORAGE_FAILURES, ConnectionFactory, StorageError, translate
from .database import mark_interrupted_runs, open_database
from .events import Event, utc_iso
from .loss import FileId, Loss, begin_new_history, file_id, survey
from .owner import ProcessOwner

Log = Callable[..., None]


def safe_log(logger: Any) -> Log:
    """Log from the writer thread: a broken log sink must never stop the only writer."""
    def log(level: str, event: str, **fields: object) -> None:
        try:
            getattr(logger, level)(event, **fields)
        except Exception:  # noqa: BLE001 - nowhere left to report it
            pass

    return log


class HistoryFile:
    def __init__(self, path: Path, connect: ConnectionFactory, owner: ProcessOwner,
                 log: Log) -> None:
        self.path = path
        self._connect = connect
        self._owner = owner
        self._log = log
        self._conn: sqlite3.Connection | None = None
        self.file_id: FileId | None = None  # the file self._conn has open
        self._loss: Loss | None = None  # the last file lost under us, until carried over
        self.affected: set[str] = set()  # runs whose history was recreated under them
        self.notice: StorageError | None = None  # what health says once history was recreated
        self.interrupted_runs = 0
        self._marked_interrupted = False

    def connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if self.file_id is not None and self._loss is None and self.moved():
            # Gone while we were disconnected (a full disk freed by deleting it, say).
            self._loss = Loss(at=utc_iso(), runs=None)
        conn = open_database(self.path, self._connect)
        if not self._marked_interrupted:
            # Only once per process: after a reconnect, "running" rows are our own.
            try:
                self.interrupted_runs = mark_interrupted_runs(conn)
            except STORAGE_FAILURES as exc:
                conn.close()
                raise translate(exc, self.path) from exc
            self._marked_interrupted = True
            if self.interrupted_runs:
                self._log("info", "storage.runs_interrupted", runs=self.interrupted_runs)
        self.file_id = file_id(self.path)
        if self._loss is not None:
            self.notice, self._loss = begin_new_history(conn, self._loss, self.path), None
            self._log("warning", "storage.recreated", detail=self.notice.message)
        self._conn = conn
        return conn

    def moved(self) -> bool:
        """Whether the path no longer names the file this connection has (or last had) open."""
        return file_id(self.path) != self.file_id

    def recreate(self, conn: sqlite3.Connection, committed: list[Event]) -> sqlite3.Connection:
        """The file under ``conn`` is gone: note what it held, start a new one at the path."""
        loss = survey(conn, self._owner, committed)
        self.affected |= loss.affected
        self._loss = loss
        self.close()
        return self.connection()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error as exc:
                self._log("debug", "storage.close_failed", error=repr(exc))
            self._conn = None
