"""The reliability metrics of a window: one formula each (docs/reliability.md, "Metrics").

Every rate is ``numerator / denominator`` over the window and is ``None`` when
the denominator is 0 (nothing to measure is not the same as 0 %). Runs still
``running`` are not finished and count nowhere; every finished run — partial
and interrupted included — counts in the denominators. A partial run that is
offline by design (its model stages skipped for Restricted Mode or no key, nothing
else wrong) counts as a success, here, in ``UsageReport.successRate`` and per day.
"""

from __future__ import annotations

from dataclasses import dataclass

from keel.protocol.history import UsageReport
from keel.protocol.reliability import MetricUnit, ReliabilityMetric
from keel.storage.metrics import ReliabilityCounts

SUCCESS_RATE = "successRate"
TIMEOUT_RATE = "timeoutRate"
FALLBACK_RATE = "fallbackRate"
CONFIG_ERROR_RATE = "configErrorRate"
REQUEST_FAILURE_RATE = "requestFailureRate"
HISTORY_WRITE_FAILURE_RATE = "historyWriteFailureRate"
MTTR = "meanTimeToRecoveryMs"


@dataclass(frozen=True)
class MetricDef:
    id: str
    title: str
    target: float
    unit: MetricUnit = "ratio"
    lower_is_better: bool = True


DEFS: dict[str, MetricDef] = {d.id: d for d in (
    MetricDef(SUCCESS_RATE, "workflow success rate", 0.95, lower_is_better=False),
    MetricDef(TIMEOUT_RATE, "workflow timeout rate", 0.02),
    MetricDef(FALLBACK_RATE, "provider fallback rate", 0.05),
    MetricDef(CONFIG_ERROR_RATE, "config error rate", 0.01),
    MetricDef(REQUEST_FAILURE_RATE, "client request failure rate", 0.03),
    MetricDef(HISTORY_WRITE_FAILURE_RATE, "history write failure rate", 0.01),
    MetricDef(MTTR, "mean time to recovery", 30_000, unit="ms"),
)}


def metric(metric_id: str, numerator: float, denominator: int,
           key: str | None = None) -> ReliabilityMetric:
    """``numerator / denominator`` against the metric's target; MTTR's numerator is total ms."""
    spec = DEFS[metric_id]
    value = None
    if denominator:
        value = numerator / denominator
        value = round(value) if spec.unit == "ms" else round(value, 6)
    met = None
    if value is not None:
        met = value < spec.target if spec.lower_is_better else value > spec.target
    return ReliabilityMetric(
        id=spec.id, title=spec.title, key=key, value=value, unit=spec.unit, target=spec.target,
        lower_is_better=spec.lower_is_better, numerator=int(numerator),
        denominator=int(denominator), met=met)


def finished_runs(report: UsageReport) -> int:
    return report.runs - report.running


def reliability_metrics(report: UsageReport, counts: ReliabilityCounts) -> list[ReliabilityMetric]:
    """The window's metrics: overall ones first, then per method and per provider."""
    finished = finished_runs(report)
    requests = sum(n for n, _ in counts.requests.values())
    failed_requests = sum(f for _, f in counts.requests.values())
    recoveries = sum(n for n, _ in counts.recoveries.values())
    recovery_ms = sum(ms for _, ms in counts.recoveries.values())
    metrics = [
        # Offline-by-design partial runs (no key, Restricted Mode) did all they could.
        metric(SUCCESS_RATE, report.succeeded + report.offline_partial, finished),
        metric(TIMEOUT_RATE, report.timed_out, finished),
        metric(FALLBACK_RATE, counts.fallback_calls, counts.model_calls),
        metric(CONFIG_ERROR_RATE, counts.config_errors, counts.starts),
        metric(REQUEST_FAILURE_RATE, failed_requests, requests),
        metric(HISTORY_WRITE_FAILURE_RATE, counts.dropped, counts.written + counts.dropped),
        metric(MTTR, recovery_ms, recoveries),
    ]
    metrics += [metric(REQUEST_FAILURE_RATE, failed, n, key=method)
                for method, (n, failed) in sorted(counts.requests.items())]
    metrics += [metric(MTTR, ms, n, key=provider)
                for provider, (n, ms) in sorted(counts.recoveries.items())]
    return metrics
