"""Opening a history database: pragmas, forward migrations, interrupted runs (of dead processes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import structlog

from .boundary import STORAGE_FAILURES, ConnectionFactory, SchemaTooNew, default_connect, translate
from .owner import is_gone
from .schema import CURRENT_VERSION, MIGRATIONS

log = structlog.get_logger(__name__)


def schema_version(conn: sqlite3.Connection) -> int:
    """0 for an empty database, else the version recorded in ``meta``."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, path: Path, target: int = CURRENT_VERSION) -> int:
    """Apply every step after the database's version up to ``target``; return the old version.

    All steps run in one transaction: a failure leaves the database as it was.
    A database from a newer Keel raises ``SchemaTooNew`` and is left untouched.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(conn)
        if found > CURRENT_VERSION:
            raise SchemaTooNew(path, found, CURRENT_VERSION)
        for step in MIGRATIONS[found:target]:
            for statement in step.statements:
                conn.execute(statement)
            if step.backfill is not None:
                step.backfill(conn)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(step.version),),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if found < target:
        log.info("storage.migrated", from_version=found, to_version=target)
    return found


JOURNAL_MODE = "delete"


def configure(conn: sqlite3.Connection) -> None:
    """No memory-mapped I/O at all, so no file another process damages can kill us.

    WAL keeps its index in a memory-mapped ``-shm`` file: a sync tool or script that
    truncates it (or a file made immutable under it) turns the next read into SIGBUS,
    which no Python code can catch, and ``mmap_size = 0`` does not cover that mapping.
    A rollback journal uses plain reads and writes only, so the same damage comes back
    as an sqlite3 error that ``boundary.translate`` names. The cost: a commit briefly
    waits for readers (one writer thread, small batches). A kill -9 still loses at most
    the uncommitted transaction; FULL sync makes a commit durable across power loss.
    """
    conn.execute("PRAGMA mmap_size = 0")
    try:
        mode = conn.execute(f"PRAGMA journal_mode = {JOURNAL_MODE}").fetchone()[0]
    except sqlite3.OperationalError as exc:
        # Leaving WAL needs the only connection: an older Keel still has it open.
        if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
            raise
        mode = "wal"
    if mode != JOURNAL_MODE:
        log.warning("storage.journal_mode_kept", mode=mode,
                    reason="another process has the history open in WAL mode")
    conn.execute("PRAGMA synchronous = FULL")


def open_database(path: Path, connect: ConnectionFactory = default_connect,
                  *, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the database at ``path``.

    Raises ``StorageError`` (translated at the boundary) or ``SchemaTooNew``.
    """
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        # Check before any pragma writes to the file: a newer database is not ours to touch.
        found = schema_version(conn)
        if found > CURRENT_VERSION:
            raise SchemaTooNew(path, found, CURRENT_VERSION)
        configure(conn)
        if found < CURRENT_VERSION:
            migrate(conn, path)
        if read_only:
            conn.execute("PRAGMA query_only = 1")
        return conn
    except SchemaTooNew:
        if conn is not None:
            conn.close()
        raise
    except STORAGE_FAILURES as exc:
        if conn is not None:
            conn.close()
        raise translate(exc, path) from exc


def mark_interrupted_runs(conn: sqlite3.Connection) -> int:
    """Mark ``interrupted`` every run still ``running`` whose owning process is gone.

    A run of a live process (a second editor window, the CLI beside the editor
    on the same workspace) is left alone: it is still running.
    """
    rows = conn.execute(
        "SELECT run_id, owner_pid, owner_token FROM runs WHERE status = 'running'").fetchall()
    orphans = [(run_id,) for run_id, pid, token in rows if is_gone(pid, token)]
    conn.executemany(
        "UPDATE runs SET status = 'interrupted', error_code = 'run.interrupted' "
        "WHERE run_id = ? AND status = 'running'", orphans)
    return len(orphans)
