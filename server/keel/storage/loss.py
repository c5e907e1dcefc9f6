"""Noticing that the history file went away under an open connection, and saying what went with it.

An open SQLite connection keeps reading and writing a file that was deleted or
replaced (by a cleanup script, a sync tool, a person freeing disk space) without
any error: every later run would be "saved" into a file no one can open again.
So the recorder and the reader remember the ``(st_dev, st_ino)`` of the file they
opened and compare it with what the path names now, before and after each write
batch (one ``stat``, microseconds). On a mismatch the recorder counts what the
lost file held (the old connection can still read it), starts a new history at
the path, carries this process's runs still in progress over to it, and marks
those runs: their stored report and ``degraded`` list say their history was
recreated.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .boundary import STORAGE_FAILURES, StorageError, translate
from .events import RUN_FINISHED, RUN_STARTED, Event, utc_iso
from .owner import ProcessOwner

FileId = tuple[int, int]

RUN_NOTE = ("history: the history file was removed or replaced while this run was in "
            "progress; the run was recorded in a new history")


def file_id(path: Path) -> FileId | None:
    """The file ``path`` names now; None when there is none."""
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return found.st_dev, found.st_ino


@dataclass
class Loss:
    """What a lost history file held, and which of this process's runs it affects."""

    at: str
    runs: int | None  # None: the lost file could not be read any more
    in_progress: list[tuple[object, ...]] = field(default_factory=list)  # their start rows
    affected: set[str] = field(default_factory=set)

    def notice(self, path: Path) -> StorageError:
        held = ("its earlier runs are gone" if self.runs is None
                else f"the {self.runs} run{'s' if self.runs != 1 else ''} it held are gone")
        return StorageError(
            f"history recreated: {path.name} in {path.parent} was removed or replaced at "
            f"{self.at[11:19]} UTC while Keel was running; {held} from history; new runs are "
            "saved in a new history",
            kind="persistent", code="storage.recreated",
            fix=f"restore {path.name} from a backup to get the earlier runs back; otherwise "
                "nothing to do")


def survey(conn: sqlite3.Connection, owner: ProcessOwner, batch: list[Event]) -> Loss:
    """What the lost file behind ``conn`` held; ``batch`` was just committed into it."""
    loss = Loss(at=utc_iso(), runs=None)
    try:
        loss.runs = int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
        loss.in_progress = conn.execute(
            "SELECT run_id, workflow, target, status, started_at, owner_pid, owner_token "
            "FROM runs WHERE status = 'running' AND owner_pid = ? AND owner_token = ?",
            (owner.pid, owner.token)).fetchall()
    except sqlite3.Error:
        pass  # a file that is gone for good: the new history still starts
    started_in_batch = {payload[0] for kind, payload in batch if kind == RUN_STARTED}
    loss.affected = {str(row[0]) for row in loss.in_progress}
    loss.affected |= {payload[0][0] for kind, payload in batch if kind == RUN_FINISHED}
    loss.affected -= started_in_batch
    loss.in_progress = [row for row in loss.in_progress if row[0] not in started_in_batch]
    return loss


def begin_new_history(conn: sqlite3.Connection, loss: Loss, path: Path) -> StorageError:
    """Carry ``loss`` over into the new file behind ``conn``; the notice health shows from now.

    A failure closes ``conn`` and comes out translated (the recorder retries the open).
    """
    try:
        carry_over(conn, loss)
    except STORAGE_FAILURES as exc:
        conn.close()
        raise translate(exc, path) from exc
    return loss.notice(path)


def carry_over(conn: sqlite3.Connection, loss: Loss) -> None:
    """Start the new history with the runs still in progress, and when it began."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO runs (run_id, workflow, target, status, started_at, owner_pid, "
            "owner_token) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING",
            loss.in_progress)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('recreated_at', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (loss.at,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def annotate(batch: list[Event], affected: set[str]) -> list[Event]:
    """The batch with every affected run's finish saying that its history was recreated."""
    if not affected:
        return batch
    return [_noted(event) if event[0] == RUN_FINISHED and event[1][0][0] in affected else event
            for event in batch]


def _noted(event: Event) -> Event:
    row, stages = event[1]
    row = list(row)
    degraded = json.loads(row[11]) if row[11] else []
    if RUN_NOTE not in degraded:
        degraded.append(RUN_NOTE)
        row[11] = json.dumps(degraded)
        if row[12] is not None:
            row[12] = f"{row[12].rstrip()}\n\n> {RUN_NOTE}\n"
    return RUN_FINISHED, (tuple(row), stages)
