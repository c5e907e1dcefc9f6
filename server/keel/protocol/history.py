"""keel/runs and keel/report."""

from __future__ import annotations

from pydantic import Field

from .base import ParamsModel, WireModel
from .budget import BudgetLeft
from .reliability import Alert, ReliabilityMetric, ReportWarning
from .workflows import RunStatus


class RunsParams(ParamsModel):
    limit: int = Field(default=50, ge=1, le=10_000)
    workflow: str | None = None


class RunSummary(WireModel):
    run_id: str
    workflow: str
    target: str
    status: RunStatus
    started_at: str
    duration_ms: int
    actual_usd: float


class RunsResult(WireModel):
    runs: list[RunSummary]


class ReportParams(ParamsModel):
    days: int = Field(default=30, ge=1, le=3650)


class UsageBreakdown(WireModel):
    key: str
    runs: int = 0
    calls: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    fallbacks: int = 0
    attempts: int = 0
    success_rate: float = 0.0
    actual_usd: float = 0.0
    baseline_usd: float = 0.0
    savings_usd: float = 0.0
    mean_time_to_recovery_ms: int | None = None


class EstimatorError(WireModel):
    samples: int
    mean_abs_pct_error: float | None = None
    mean_pct_error: float | None = None


class UsageReport(WireModel):
    days: int
    runs: int
    succeeded: int
    failed: int
    cancelled: int
    timed_out: int
    partial: int = 0
    interrupted: int = 0
    running: int = 0
    offline_partial: int = Field(
        default=0, description="Of `partial`: runs whose only gaps are model stages skipped by "
                               "design (Restricted Mode, no provider). They count as successes.")
    success_rate: float
    timeout_rate: float
    fallback_rate: float
    retry_amplification: float
    mean_time_to_recovery_ms: int | None = None
    actual_usd: float
    baseline_usd: float
    savings_usd: float
    by_workflow: list[UsageBreakdown] = []
    by_provider: list[UsageBreakdown] = []
    by_day: list[UsageBreakdown] = []
    estimator: EstimatorError | None = None
    dropped_events: int = 0
    metrics: list[ReliabilityMetric] = []
    alerts: list[Alert] = []
    warnings: list[ReportWarning] = []
    baseline_definition: str | None = None
    budget: BudgetLeft | None = Field(
        default=None, description="Spent against the budgets set (budgets.*); absent with none.")
