"""The stage engine: run a workflow's stages in order and turn the state into a RunResult.

``execute_stages`` only ever mutates the ``RunState``; ``build_result`` reads it
however the run ended (completed, cancelled, timed out, failed), so a run cut
short still reports every stage's status and partial cost.

Run status:
- ``succeeded``: every stage succeeded or was skipped by its own rule;
- ``partial``: some stage failed or was skipped for an outside reason (no
  provider, no bandit, a stale cached answer) while others produced results;
- ``failed``: no stage produced anything, or the engine itself failed;
- ``cancelled`` / ``timedOut``: the run was stopped; what was done is kept.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from keel.errors import Cancelled, DeadlineExceeded, KeelError
from keel.protocol.advisor import Finding
from keel.protocol.base import ErrorData
from keel.protocol.settings import AdvisorSettings, AdvisorThresholds
from keel.protocol.workflows import (
    MAX_FINDINGS_IN_RESULT,
    RunCost,
    RunReport,
    RunResult,
    RunStatus,
    StageResult,
    StageSkip,
    StageStatus,
)

from .definitions import WorkflowDef
from .report import render_markdown, status_word, summary_line
from .sources import SourceFile, collect_sources, read_texts
from .stages_llm import LlmContext, run_llm_stage
from .stages_static import RunCpu, run_static_stage, static_context
from .state import RunState, StageProgress, StageState

# How the stages ended, before final_status turns it into the run's status.
RunOutcome = Literal["completed", "cancelled", "timedOut", "failed"]
# A stage still pending or running when the result is built never finished: failed.
_ENDED: dict[StageProgress, StageStatus] = {
    "succeeded": "succeeded", "skipped": "skipped", "failed": "failed", "cancelled": "cancelled",
}


@dataclass
class RunSpec:
    run_id: str
    workflow: WorkflowDef
    target: Path  # resolved
    target_display: str
    workspace_root: Path
    thresholds: AdvisorThresholds | None
    max_file_bytes: int
    advisor: AdvisorSettings | None = None  # the user's advisor settings: as keel/analyze


def new_state(spec: RunSpec) -> RunState:
    stages = [StageState(s.id, s.title, s.kind) for s in spec.workflow.stages]
    return RunState(spec.run_id, spec.workflow.id, spec.target_display, stages)


async def execute_stages(spec: RunSpec, state: RunState, llm: LlmContext, run_cpu: RunCpu,
                         emit: Callable[..., None]) -> None:
    files, _scan = await collect_sources(spec.target, spec.workspace_root,
                                         spec.workflow.inputs, spec.max_file_bytes)
    state.files = len(files)
    texts: dict[str, str] | None = None
    for stage_def in spec.workflow.stages:
        stage = state.stage(stage_def.id)
        stage.status = "running"
        emit("stageStarted", stage=stage.id)
        started = time.monotonic()
        try:
            if stage_def.kind == "static":
                await run_static_stage(stage_def, stage, files, run_cpu, spec.thresholds,
                                       static_context(spec.workflow, spec.workspace_root,
                                                      spec.advisor))
            else:
                if texts is None:
                    texts = await read_texts(files)
                await run_llm_stage(llm, stage_def, stage, files, texts, state.findings())
        except KeelError as error:  # an analyzer that failed; the other stages still run
            stage.status, stage.error, stage.degraded = "failed", error, True
        finally:
            stage.duration_ms = round((time.monotonic() - started) * 1000)
        emit("stageFinished", stage=stage.id, provider=stage.provider, model=stage.model,
             message=stage.status + (f": {stage.note}" if stage.note else ""))


def error_data(error: KeelError, run_id: str, stage_id: str | None = None) -> ErrorData:
    """The wire error of a run, naming the run and (when it has one) the stage it failed in."""
    data = error.to_error_data()
    data["runId"] = run_id
    if stage_id is not None:
        data["stageId"] = stage_id
    data.setdefault("message", error.message)
    return ErrorData.model_validate(data)


def close_unfinished(state: RunState, outcome: RunOutcome,
                     error: KeelError | None) -> list[StageState]:
    """Mark stages a stopped run did not finish; returns the ones that were running."""
    cut = []
    for stage in state.stages:
        if stage.status == "running":
            cut.append(stage)
            if outcome == "cancelled":
                stage.status = "cancelled"
            else:
                stage.status = "failed"
            stage.error = error
        elif stage.status == "pending":
            stage.status = "skipped"
            why = {"cancelled": "cancelled", "timedOut": "timed out"}.get(outcome, "failed")
            stage.skip = StageSkip(reason="runStopped", message=f"not started: the run {why}")
            stage.add_note(stage.skip.message)
    return cut


def final_status(state: RunState, outcome: RunOutcome) -> RunStatus:
    if outcome != "completed":
        return outcome
    produced = [s for s in state.stages if s.status == "succeeded"]
    troubled = [s for s in state.stages if s.status == "failed" or s.degraded or s.stale]
    if not troubled:
        return "succeeded"
    return "partial" if produced else "failed"


# Skipped by design, not by fault: no code may leave (Restricted Mode) or none can (no key).
OFFLINE_BY_DESIGN = frozenset({"restrictedMode", "noProvider"})


def offline_by_design(state: RunState, status: RunStatus) -> bool:
    """A partial run whose only gaps are model stages skipped by design: not a failure."""
    troubled = [s for s in state.stages if s.status == "failed" or s.degraded or s.stale]
    return status == "partial" and all(
        s.status == "skipped" and s.skip is not None and s.skip.reason in OFFLINE_BY_DESIGN
        for s in troubled)


def recorded_error_type(stage: StageState) -> str | None:
    """The history's ``stages.error_type``: the error's type, ``offline`` for a model stage
    skipped by design, ``degraded`` for any other gap (stale answer, missing analyzer), so
    reliability can tell an offline-by-design partial run from a troubled one."""
    if stage.error is not None:
        return stage.error.error_type
    if stage.skip is not None and stage.skip.reason in OFFLINE_BY_DESIGN:
        return "offline"
    return "degraded" if stage.degraded or stage.stale else None


def degraded_reasons(state: RunState) -> list[str]:
    reasons = list(state.degraded)
    for stage in state.stages:
        if stage.stale:
            reasons.append(f"{stage.id}: every provider failed; served a stale cached answer")
        elif stage.degraded:
            why = stage.error.message if stage.error is not None else stage.note
            reasons.append(f"{stage.id}: {why}")
    return reasons


def build_result(spec: RunSpec, state: RunState, outcome: RunOutcome, error: KeelError | None,
                 started_at: str, finished_at: str, duration_ms: int,
                 rel_by_uri: dict[str, str], findings: list[Finding],
                 max_findings: int = MAX_FINDINGS_IN_RESULT) -> RunResult:
    """The RunResult; ``findings`` are all of them in report order, of which the answer
    carries the first ``max_findings`` (the rest are paged with keel/runFindings).
    CPU-heavy for big runs: the run manager calls it in a thread."""
    status = final_status(state, outcome)
    if status == "failed" and error is None:
        error = next((s.error for s in state.stages if s.error is not None), None)
    state.degraded = degraded_reasons(state)
    stages = [
        StageResult(
            id=s.id, status=_ENDED.get(s.status, "failed"),
            tier=s.tier, provider=s.provider, model=s.model, attempts=s.attempts,
            fallback_used=s.fallback_used, input_tokens=s.input_tokens,
            output_tokens=s.output_tokens, usd=round(s.usd, 8), duration_ms=s.duration_ms,
            note=s.note, error=error_data(s.error, spec.run_id, s.id) if s.error else None,
            skip=s.skip, calls=s.attempts, chunks=s.chunks, retries=s.retries,
            fallbacks=s.fallbacks,
            truncated=s.truncated, cost_estimated=s.cost_estimated,
        )
        for s in state.stages
    ]
    actual = sum(s.usd for s in state.stages)
    baseline = sum(s.baseline_usd for s in state.stages)
    offline = offline_by_design(state, status)
    markdown = render_markdown(state, status, rel_by_uri, error.message if error else None,
                               findings, actual_usd=actual)
    return RunResult(
        run_id=spec.run_id, workflow=spec.workflow.id, target=spec.target_display,
        status=status, started_at=started_at, finished_at=finished_at, duration_ms=duration_ms,
        stages=stages,
        report=RunReport(markdown=markdown, findings=findings[:max_findings],
                         findings_total=len(findings), truncated=len(findings) > max_findings,
                         findings_by_severity=dict(Counter(f.severity for f in findings)),
                         summary=summary_line(state, status, findings, rel_by_uri, actual),
                         status_text=status_word(status)),
        cost=RunCost(actual_usd=round(actual, 8), baseline_usd=round(baseline, 8),
                     savings_usd=round(max(0.0, baseline - actual), 8),
                     cost_estimated=any(s.cost_estimated for s in state.stages)),
        degraded=state.degraded, offline_by_design=offline,
        error=(error_data(error, spec.run_id, _stage_of(state, error))
               if error is not None else None),
    )


def _stage_of(state: RunState, error: KeelError) -> str | None:
    """The stage a run-level error came from (its own, or the first stage it stopped)."""
    if error.stage_id is not None:
        return error.stage_id
    return next((s.id for s in state.stages if s.error is error), None)


def stop_error(outcome: str) -> KeelError:
    if outcome == "cancelled":
        return Cancelled("The run was cancelled.", code="run.cancelled")
    return DeadlineExceeded("The run did not finish within its deadline.",
                            hint="Raise settings.timeouts.runWorkflowMs or narrow the target.")


def rel_map(files: list[SourceFile]) -> dict[str, str]:
    return {f.uri: f.rel_path for f in files}
