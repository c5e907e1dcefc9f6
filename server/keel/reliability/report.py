"""``UsageReport`` with its reliability metrics, alerts and warnings, in one read.

Used by ``keel/report``, ``keel report``, the ``reliability`` health component
and bench/storage_report.py. Call from a thread: it reads SQLite.
"""

from __future__ import annotations

from datetime import datetime

from keel.protocol.history import UsageReport
from keel.protocol.reliability import Alert, AlertSettings
from keel.storage import queries
from keel.storage.metrics import ReliabilityCounts, reliability_counts
from keel.storage.offline_runs import offline_partial_runs
from keel.storage.reader import Connection, HistoryReader

from .alerts import evaluate
from .metrics import reliability_metrics
from .warnings import BASELINE_DEFINITION, measured_savings, report_warnings


def count_offline_by_design(report: UsageReport, offline: dict[tuple[str, str], int]) -> None:
    """Offline-by-design partial runs count with the successes, in every rate that says
    "success": the totals, each workflow and each day (the dashboard's chart), the metric."""
    report.offline_partial = sum(offline.values())
    finished = report.runs - report.running
    report.success_rate = (round((report.succeeded + report.offline_partial) / finished, 6)
                           if finished else 0.0)
    for entries, index in ((report.by_workflow, 1), (report.by_day, 0)):
        for entry in entries:
            extra = sum(n for key, n in offline.items() if key[index] == entry.key)
            if extra and entry.runs:
                entry.success_rate = round((entry.succeeded + extra) / entry.runs, 6)


def complete(report: UsageReport, counts: ReliabilityCounts, alerts: AlertSettings,
             first_day: str, offline: dict[tuple[str, str], int] | None = None) -> UsageReport:
    """Add metrics, alerts, warnings and the baseline's definition to a plain usage report."""
    count_offline_by_design(report, offline or {})
    report.metrics = reliability_metrics(report, counts)
    report.alerts = evaluate(report.metrics, alerts)
    report.warnings = report_warnings(report, counts, first_day)
    report.savings_usd = measured_savings(report, counts)
    for entry in report.by_provider:
        # Baselines are recorded per run, not per provider: no saving is measured there.
        entry.savings_usd = 0.0
    report.baseline_definition = BASELINE_DEFINITION
    return report


def _read(conn: Connection, days: int, now: datetime | None,
          alerts: AlertSettings) -> UsageReport:
    report = queries.usage_report(conn, days, now)
    first, last = queries.report_window(days, now)
    return complete(report, reliability_counts(conn, first, last), alerts, first,
                    offline_partial_runs(conn, first, last))


def reliability_report(reader: HistoryReader, days: int = 30, now: datetime | None = None,
                       alerts: AlertSettings | None = None) -> UsageReport:
    """The usage report of the last ``days`` UTC days with every reliability figure."""
    settings = alerts or AlertSettings()
    return reader.read(lambda conn: _read(conn, days, now, settings))


def recent_alerts(reader: HistoryReader, alerts: AlertSettings,
                  now: datetime | None = None) -> list[Alert]:
    """The alerts of the health component's window (``alerts.windowDays``)."""
    return reliability_report(reader, alerts.window_days, now, alerts).alerts
