"""keel/listWorkflows, keel/runWorkflow, keel/cancelRun, keel/runFindings and keel/runEvent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .advisor import Finding
from .base import DeadlineParams, ErrorData, ParamsModel, ProgressToken, WireModel
from .settings import Tier

Profile = Literal["critical", "balanced", "tolerant"]
StageKind = Literal["static", "llm"]
RunStatus = Literal[
    "running", "succeeded", "partial", "failed", "cancelled", "timedOut", "interrupted"
]
StageStatus = Literal["succeeded", "skipped", "failed", "cancelled"]
RunEventKind = Literal[
    "queued", "started", "attached", "stageStarted", "retrying", "fallback",
    "stageFinished", "finished",
]


class ListWorkflowsParams(ParamsModel):
    pass


class StageInfo(WireModel):
    id: str
    title: str
    kind: StageKind
    tier: Tier | None = None


class WorkflowInfo(WireModel):
    id: str
    title: str
    description: str
    profile: Profile
    stages: list[StageInfo]


class ListWorkflowsResult(WireModel):
    workflows: list[WorkflowInfo]


class RunWorkflowParams(DeadlineParams):
    workflow: str = Field(min_length=1)
    target: str = Field(min_length=1)
    run_id: str | None = Field(default=None, description="The client's own id for this run.")
    options: dict[str, Any] | None = None
    work_done_token: ProgressToken | None = None
    confirm_over_budget: bool = Field(
        default=False, description="The user saw budget.exceeded and chose to run anyway.")


class StageResult(WireModel):
    id: str
    status: StageStatus
    tier: Tier | None = None
    provider: str | None = None
    model: str | None = None
    attempts: int = 0
    fallback_used: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    duration_ms: int = 0
    note: str | None = None
    error: ErrorData | None = None


# How many findings one RunResult carries; the rest are read with keel/runFindings.
MAX_FINDINGS_IN_RESULT = 500
MAX_FINDINGS_PAGE = 2_000


class RunReport(WireModel):
    markdown: str
    findings: list[Finding] = Field(
        default=[], description=f"Most severe first; at most {MAX_FINDINGS_IN_RESULT} "
                                "(see findingsTotal and truncated).")
    findings_total: int | None = Field(
        default=None, description="How many findings the run produced in all.")
    truncated: bool = Field(
        default=False, description="True when `findings` holds only the first of "
                                   "`findingsTotal`; page the rest with keel/runFindings.")
    findings_by_severity: dict[str, int] = Field(
        default={}, description="Counts of all the run's findings by severity.")


class RunCost(WireModel):
    actual_usd: float = 0.0
    baseline_usd: float = 0.0
    savings_usd: float = 0.0


class RunResult(WireModel):
    run_id: str
    workflow: str
    target: str
    status: RunStatus
    deduplicated: bool = False
    started_at: str
    finished_at: str | None = None
    duration_ms: int
    stages: list[StageResult]
    report: RunReport
    cost: RunCost
    degraded: list[str] = []
    error: ErrorData | None = None


class CancelRunParams(ParamsModel):
    run_id: str = Field(min_length=1)


class CancelRunResult(WireModel):
    cancelled: bool
    status: RunStatus


class RunFindingsParams(DeadlineParams):
    run_id: str = Field(min_length=1)
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=MAX_FINDINGS_IN_RESULT, ge=1, le=MAX_FINDINGS_PAGE)


class RunFindingsResult(WireModel):
    run_id: str
    total: int
    offset: int
    findings: list[Finding]
    next_offset: int | None = Field(default=None, description="Absent on the last page.")


class RunEvent(WireModel):
    run_id: str
    seq: int
    kind: RunEventKind
    at: str
    stage: str | None = None
    attempt: int | None = None
    provider: str | None = None
    model: str | None = None
    message: str | None = None
    client_run_id: str | None = None
