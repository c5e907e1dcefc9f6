"""Alerts: each metric past its ``alerts.*`` threshold, and the ``reliability`` health component.

A metric alerts at ``critical`` when it reaches the critical threshold, else at
``warning`` when it reaches the warning threshold (for the success rate: when
it falls to them). A rate computed over fewer than ``alerts.minSamples``
samples never alerts: one timeout in three runs is an anecdote, not 33 %.
A mean time to recovery alerts from its first recovery.
"""

from __future__ import annotations

from keel.protocol.health import ComponentStatus
from keel.protocol.reliability import Alert, AlertLevel, AlertSettings, ReliabilityMetric

from .metrics import (
    CONFIG_ERROR_RATE,
    FALLBACK_RATE,
    HISTORY_WRITE_FAILURE_RATE,
    MTTR,
    REQUEST_FAILURE_RATE,
    SUCCESS_RATE,
    TIMEOUT_RATE,
)

THRESHOLD_FIELD = {
    SUCCESS_RATE: "success_rate",
    TIMEOUT_RATE: "timeout_rate",
    FALLBACK_RATE: "fallback_rate",
    CONFIG_ERROR_RATE: "config_error_rate",
    REQUEST_FAILURE_RATE: "request_failure_rate",
    HISTORY_WRITE_FAILURE_RATE: "history_write_failure_rate",
    MTTR: "mean_time_to_recovery_ms",
}

FIXES = {
    SUCCESS_RATE: "Open the failed runs in `keel history` and their error codes; run `keel doctor`.",
    TIMEOUT_RATE: "Narrow the targets or raise timeouts.runWorkflowMs; check provider latency "
                  "with `keel doctor --network`.",
    FALLBACK_RATE: "The first provider of the chain keeps failing: check its key, quota and "
                   "status page, or move a healthier provider first in keel.providers.",
    CONFIG_ERROR_RATE: "Fix the setting or .keel/workflows.toml field named by the config "
                       "health component; Keel ran on defaults meanwhile.",
    REQUEST_FAILURE_RATE: "See the Keel log for the failing method's error codes; "
                          "`keel doctor` checks the usual causes.",
    HISTORY_WRITE_FAILURE_RATE: "History was lost: free disk space or set keel.storage.dir "
                                "to a writable folder (see the storage health component).",
    MTTR: "A provider stayed down long: check its status page, or add a fallback provider "
          "to keel.providers.",
}


def _format(value: float, unit: str) -> str:
    return f"{value / 1000:.1f} s" if unit == "ms" else f"{value:.1%}"


def _level(value: float, lower_is_better: bool, warning: float,
           critical: float) -> tuple[AlertLevel, float] | None:
    levels: tuple[tuple[AlertLevel, float], ...] = (("critical", critical), ("warning", warning))
    for level, limit in levels:
        if (value >= limit) if lower_is_better else (value <= limit):
            return level, limit
    return None


def evaluate(metrics: list[ReliabilityMetric], settings: AlertSettings) -> list[Alert]:
    """The alerts of ``metrics``: critical ones first, then by metric order."""
    alerts = []
    for m in metrics:
        if m.value is None:
            continue
        enough = m.denominator >= (1 if m.unit == "ms" else settings.min_samples)
        if not enough:
            continue
        threshold = getattr(settings, THRESHOLD_FIELD[m.id])
        found = _level(m.value, m.lower_is_better, threshold.warning, threshold.critical)
        if found is None:
            continue
        level, limit = found
        name = m.title + (f" of {m.key}" if m.key else "")
        side = "at or below" if not m.lower_is_better else "at or above"
        alerts.append(Alert(
            metric=m.id, key=m.key, level=level, value=m.value, threshold=limit,
            message=(f"{name} is {_format(m.value, m.unit)} ({m.numerator} of "
                     f"{m.denominator})" if m.unit == "ratio" else
                     f"{name} is {_format(m.value, m.unit)} over {m.denominator} recoveries")
                    + f", {side} the {level} threshold {_format(limit, m.unit)}",
            fix=FIXES[m.id]))
    alerts.sort(key=lambda a: a.level != "critical")
    return alerts


def component_status(alerts: list[Alert], days: int) -> tuple[ComponentStatus, str, str | None]:
    """(status, detail, fix) of the ``reliability`` health component for these alerts."""
    span = "today" if days == 1 else f"the last {days} days"
    if not alerts:
        return "ok", f"every reliability metric is within its thresholds over {span}", None
    worst = alerts[0]
    status: ComponentStatus = "down" if worst.level == "critical" else "degraded"
    more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
    return status, f"{worst.level}: {worst.message} over {span}{more}", worst.fix
