"""Run history: the storage recorder's lifecycle, keel/runs, keel/report, the storage health component."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import structlog

from keel.protocol.history import ReportParams, RunsParams, RunsResult, UsageReport
from keel.storage.health import StorageHealth
from keel.storage.paths import database_path
from keel.storage.reader import HistoryReader
from keel.storage.recorder import StorageRecorder

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
    current: StorageRecorder | None = app.extensions.get("recorder")  # type: ignore[assignment]
    if isinstance(current, StorageRecorder) and current.db_path == path:
        return
    loop = asyncio.get_running_loop()
    recorder = StorageRecorder(path, listeners=[_push_storage_health(app, loop)])
    app.extensions["recorder"] = recorder
    app.extensions["history_reader"] = HistoryReader(path, health=recorder.health)
    if isinstance(current, StorageRecorder):
        # Drain the old one off the loop; its events still land in the old database.
        loop.run_in_executor(None, current.close, 5.0)
    log.info("history database", path=str(path))
    loop.run_in_executor(None, apply_retention, app)


def apply_retention(app: KeelApp) -> None:
    """Keep history within settings.storage.retentionDays / maxBytes (defaults: 90 days, 256 MiB)."""
    storage = app.settings.storage
    limits = {k: v for k, v in (("retention_days", storage.retention_days),
                                ("max_bytes", storage.max_bytes)) if v is not None}
    try:
        report = history_reader(app).cleanup(dry_run=False, **limits)
    except Exception as exc:  # storage trouble is already reported by the recorder's health
        log.info("retention skipped", reason=type(exc).__name__)
        return
    if report.runs_deleted:
        log.info("retention applied", runs_deleted=report.runs_deleted, calls_deleted=report.calls_deleted)


async def close_storage(app: KeelApp) -> None:
    recorder = app.extensions.get("recorder")
    if isinstance(recorder, StorageRecorder):
        await anyio.to_thread.run_sync(recorder.close, 1.0)


def history_reader(app: KeelApp) -> HistoryReader:
    reader = app.extensions.get("history_reader")
    if reader is None:
        reader = HistoryReader(database_path(app.workspace_root, app.settings.storage.dir))
        app.extensions["history_reader"] = reader
    return reader  # type: ignore[return-value]


def storage_path(app: KeelApp) -> Path:
    return database_path(app.workspace_root, app.settings.storage.dir)


async def runs(app: KeelApp, params: RunsParams) -> RunsResult:
    reader = history_reader(app)
    found = await anyio.to_thread.run_sync(reader.list_runs, params.limit, params.workflow,
                                           abandon_on_cancel=True)
    return RunsResult(runs=found)


async def report(app: KeelApp, params: ReportParams) -> UsageReport:
    reader = history_reader(app)
    return await anyio.to_thread.run_sync(reader.usage_report, params.days, abandon_on_cancel=True)
