"""Run history: the storage recorder's lifecycle, the storage health component, keel/runs."""

from __future__ import annotations

import asyncio

import structlog

from keel.protocol.history import RunsParams, RunsResult
from keel.runtime.threads import in_thread
from keel.storage.health import StorageHealth
from keel.storage.paths import database_path
from keel.storage.recorder import StorageRecorder
from keel.storage.retention import DEFAULT_MAX_BYTES, DEFAULT_RETENTION_DAYS

from .services import history_reader
from .state import KeelApp

log = structlog.get_logger(__name__)


def _push_storage_health(app: KeelApp, loop: asyncio.AbstractEventLoop):
    def on_change(health: StorageHealth) -> None:
        def apply() -> None:
            if health.status == "ok":
                app.monitor.set("storage", "ok", "history is saved")
            else:
                detail = health.detail
                if health.dropped:
                    detail += f" ({health.dropped} events dropped)"
                app.monitor.set("storage", health.status, detail, fix=health.fix)

        try:
            loop.call_soon_threadsafe(apply)
        except RuntimeError:
            pass  # the loop is closed: the server is exiting

    return on_change


def start_storage(app: KeelApp) -> None:
    """Open (or reopen, when the folder changed) the history database of this workspace."""
    path = database_path(app.workspace_root, app.settings.storage.dir)
    current = app.storage
    if current is not None and current.db_path == path:
        return
    loop = asyncio.get_running_loop()
    recorder = StorageRecorder(path, listeners=[_push_storage_health(app, loop)])
    app.storage = recorder
    old_reader, app.history = app.history, None
    history_reader(app)  # rebuilt now, on the loop: its reads report this recorder's health
    if current is not None:
        # Drain the old one off the loop; its events still land in the old database.
        loop.run_in_executor(None, current.close, 5.0)
    if old_reader is not None:
        # Closed, not dropped: sqlite3 connections sit in a reference cycle, so an unclosed
        # one holds its file until the garbage collector runs.
        loop.run_in_executor(None, old_reader.close)
    log.info("history database", path=str(path))
    loop.run_in_executor(None, apply_retention, app)


def apply_retention(app: KeelApp) -> None:
    """Keep history within settings.storage.retentionDays / maxBytes (defaults: 90 days, 256 MiB)."""
    storage = app.settings.storage
    try:
        report = history_reader(app).cleanup(
            retention_days=storage.retention_days or DEFAULT_RETENTION_DAYS,
            max_bytes=storage.max_bytes or DEFAULT_MAX_BYTES, dry_run=False)
    except Exception as exc:  # storage trouble is already reported by the recorder's health
        log.info("retention skipped", reason=type(exc).__name__)
        return
    if report.runs_deleted:
        log.info("retention applied", runs_deleted=report.runs_deleted, calls_deleted=report.calls_deleted)


async def runs(app: KeelApp, params: RunsParams) -> RunsResult:
    reader = history_reader(app)
    found = await in_thread(reader.list_runs, params.limit, params.workflow)
    return RunsResult(runs=found)
