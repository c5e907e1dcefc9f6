"""keel/report with reliability figures, the ``reliability`` health component, and the counts
behind them (server starts and keel/* request outcomes) sent to the history recorder.

``install_reliability`` runs once, as a server background task after storage
started: it records this start (with or without a config error), installs the
model registry and its health component (``model_registry``), and refreshes the
``reliability`` component every ``REFRESH_EVERY_S`` seconds from the last
``alerts.windowDays`` days of history.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog

from keel.errors import KeelError
from keel.protocol.history import ReportParams, UsageReport
from keel.reliability.alerts import component_status
from keel.reliability.report import recent_alerts, reliability_report
from keel.runtime.threads import in_thread

from .budget_health import budget_of, refresh_budget
from .model_registry import install_models
from .services import history_reader
from .state import KeelApp

log = structlog.get_logger(__name__)

REFRESH_EVERY_S = 60.0
COMPONENT = "reliability"


def config_in_error(app: KeelApp) -> bool:
    config = app.monitor.component("config")
    return app.settings_load.problem is not None or (config is not None and config.status != "ok")


async def install_reliability(app: KeelApp) -> None:
    """Record this start, install the model registry, then keep ``reliability`` fresh.

    Runs as a background task of the server (spawned at ``initialized``, after
    storage started) until the server stops it.
    """
    if app.reliability_started:
        return
    app.reliability_started = True
    if app.storage is not None:
        app.storage.server_started(config_error=config_in_error(app))
    await install_models(app)
    while True:
        await refresh_reliability(app)
        await refresh_budget(app)
        await asyncio.sleep(REFRESH_EVERY_S)


async def refresh_reliability(app: KeelApp, now: datetime | None = None) -> None:
    """Set the ``reliability`` component from the alerts of the recent window."""
    settings = app.settings.alerts
    try:
        alerts = await in_thread(lambda: recent_alerts(history_reader(app), settings, now))
    except KeelError as exc:  # storage trouble is the storage component's to report
        log.info("reliability refresh skipped", code=exc.code)
        return
    status, detail, fix = component_status(alerts, settings.window_days)
    app.monitor.set(COMPONENT, status, detail, fix=fix)


async def report(app: KeelApp, params: ReportParams) -> UsageReport:
    reader, alerts = history_reader(app), app.settings.alerts
    usage = await in_thread(lambda: reliability_report(reader, params.days, alerts=alerts))
    usage.budget = await budget_of(app)  # spend against budgets, from the shared ledger
    return usage
