"""keel/listWorkflows, keel/runWorkflow, keel/cancelRun, keel/runFindings and keel/runEvent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .advisor import Finding
from .base import DeadlineParams, ErrorData, ParamsModel, ProgressToken, RunIdParam, WireModel
from .settings import Tier

Profile = Literal["critical", "balanced", "tolerant"]
StageKind = Literal["static", "llm"]
RunStatus = Literal[
    "running", "succeeded", "partial", "failed", "cancelled", "timedOut", "interrupted"
]
StageStatus = Literal["succeeded", "skipped", "failed", "cancelled"]
RunEventKind = Literal[
    "queued", "started", "attached", "stageStarted", "retrying", "fallback",
    "stageFinished", "finished", "progress",
]
# Why a stage was skipped: restrictedMode (untrusted workspace: no code leaves) and
# noProvider (no model provider has a key) are offline by design, not failures.
SkipReason = Literal["restrictedMode", "noProvider", "noInput", "noFindings", "runStopped"]


class StageSkip(WireModel):
    reason: SkipReason
    message: str = Field(description="One human sentence: why, and what would run it.")
    code: str | None = Field(
        default=None, description="The error code behind it: 'trust.untrusted' for "
                                  "restrictedMode, 'provider.none_configured' for noProvider.")


class ListWorkflowsParams(ParamsModel):
    pass


class StageInfo(WireModel):
    id: str
    title: str
    kind: StageKind
    tier: Tier | None = None
    skip: StageSkip | None = Field(
        default=None, description="Set when a run started now would skip this stage "
                                  "(restrictedMode in an untrusted workspace).")


class WorkflowInfo(WireModel):
    id: str
    title: str
    description: str
    profile: Profile
    stages: list[StageInfo]


class ListWorkflowsResult(WireModel):
    workflows: list[WorkflowInfo]
    workspace_trusted: bool = Field(
        default=True, description="False in Restricted Mode: model stages will be skipped.")


class RunWorkflowParams(DeadlineParams):
    workflow: str = Field(min_length=1)
    target: str = Field(min_length=1)
    run_id: RunIdParam | None = Field(
        default=None, description="The client's own id for this run: at most 128 characters of "
                                  "A-Z a-z 0-9 . _ : -")
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
    skip: StageSkip | None = Field(default=None, description="Why the stage was skipped.")
    calls: int = Field(default=0, description="Provider calls made (attempts minus answers "
                                              "served from the cache).")
    chunks: int = Field(default=0, description="Chunks the stage's input was split into.")
    retries: int = Field(default=0, description="Calls that repeated a failed one.")
    fallbacks: int = Field(default=0, description="Times the stage moved to the next provider.")
    truncated: bool = Field(default=False, description="A model answer of this stage stopped "
                            "at its output limit (stop_reason max_tokens / finish_reason "
                            "length): its findings may be incomplete.")
    cost_estimated: bool = Field(default=False, description="A provider answered without "
                                 "usage: tokens and cost include estimates.")


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
    summary: str = Field(
        default="", description="One human line: status word, stages, findings, cost "
                                "(\"Partly done: 1 of 2 stages ran (summary skipped: "
                                "Restricted Mode) · 12 findings in 4 files · $0.00\").")
    status_text: str = Field(
        default="", description="The run status as a human word (\"Timed out\"), never a code.")


class RunCost(WireModel):
    actual_usd: float = 0.0
    baseline_usd: float = 0.0
    savings_usd: float = 0.0
    cost_estimated: bool = Field(default=False, description="Some provider answer carried no "
                                 "usage: actualUsd includes estimated tokens (see the stages).")


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
    offline_by_design: bool = Field(
        default=False, description="The run's only gaps are model stages skipped by design "
                                   "(restrictedMode, noProvider): not a failure.")


class CancelRunParams(ParamsModel):
    run_id: RunIdParam


class CancelRunResult(WireModel):
    cancelled: bool
    status: RunStatus


class RunFindingsParams(DeadlineParams):
    run_id: RunIdParam
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=MAX_FINDINGS_IN_RESULT, ge=1, le=MAX_FINDINGS_PAGE)


class RunFindingsResult(WireModel):
    run_id: str
    total: int
    offset: int
    findings: list[Finding]
    next_offset: int | None = Field(default=None, description="Absent on the last page.")


class StageProgressInfo(WireModel):
    """Where a model stage is, on ``progress``, ``retrying`` and ``fallback`` events."""

    chunk: int = Field(description="1-based: the chunk running (or just done).")
    chunks: int
    done: int = Field(default=0, description="Chunks finished.")
    calls: int = 0
    retries: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    elapsed_ms: int = Field(default=0, description="Since the run started.")
    deadline_ms: int | None = Field(default=None, description="The run's whole budget.")


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
    progress: StageProgressInfo | None = None
