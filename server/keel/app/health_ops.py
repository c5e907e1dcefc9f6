"""keel/health and keel/preflight."""

from __future__ import annotations

from keel.protocol.health import HealthParams, HealthReport, PreflightParams, PreflightReport

from ..health.preflight import PreflightContext, run_preflight
from ..storage.paths import database_path
from .state import KeelApp


def refresh_analysis_component(app: KeelApp) -> None:
    stats = app.workers.stats()
    detail = (f"{stats.size} worker processes: {stats.busy} busy, {stats.idle} warm; "
              f"{stats.completed} analyses done, {stats.killed} workers killed on cancel")
    if app.workers.start_error:
        app.monitor.set("analysis", "down", f"analysis workers cannot start: {app.workers.start_error}",
                        fix="Free memory or processes (or restart VS Code), then run Analyze again.")
        return
    app.monitor.set("analysis", "ok", detail)


async def health(app: KeelApp, params: HealthParams) -> HealthReport:
    refresh_analysis_component(app)
    return app.monitor.report()


def preflight_context(app: KeelApp) -> PreflightContext:
    db = database_path(app.workspace_root, app.settings.storage.dir)
    return PreflightContext(
        settings=app.settings,
        settings_problem="; ".join(app.settings_load.problems) or None,
        storage_dir=db.parent,
        workspace_trusted=app.workspace_trusted,
        env=app.env,
    )


async def preflight(app: KeelApp, params: PreflightParams) -> PreflightReport:
    return await run_preflight(preflight_context(app), network=params.network)
