"""The run manager: deduplication, cancellation, deadlines, events and records of runs.

protocol.md "Runs: deduplication and cancellation":

- identical in-flight runs (workflow, resolved target, options) share one run
  through ``SingleFlight``; a later caller gets the same ``runId`` with
  ``deduplicated: true`` and an ``attached`` runEvent;
- a waiter cancelled by ``$/cancelRequest`` detaches only itself; the last one
  to detach cancels the run; ``cancel(run_id)`` stops it for everyone, and
  every waiter gets the ``cancelled`` RunResult.

Each run executes in its own task, in a fresh context (the first caller's
request deadline must not leak into it), under its own deadline and inside a
``CancelScope`` the manager owns (SingleFlight's ``stop`` hook). So a deadline
becomes a ``timedOut`` result and a cancel a ``cancelled`` result, both
recorded, while cancellation from outside (server shutdown) still propagates.

The run's deadline is the request's (taken from its deadline scope, which the
dispatch path starts when the message is read) less ``ANSWER_MARGIN_MS``; the
caller waits for the run's answer past the request's own deadline
(``outlast_deadline``), so a run that reaches its deadline always answers a
``timedOut`` RunResult, never a deadline error. A run that is stopping or past
its deadline is never joined: an identical request then starts a new run.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import anyio
import structlog

from keel.errors import DeadlineExceeded, InternalError, InvalidInput, KeelError
from keel.protocol.advisor import Finding
from keel.protocol.methods import RUN_EVENT
from keel.protocol.workflows import (
    MAX_FINDINGS_IN_RESULT,
    CancelRunResult,
    RunEvent,
    RunEventKind,
    RunFindingsParams,
    RunFindingsResult,
    RunResult,
    RunStatus,
    RunWorkflowParams,
)
from keel.records import RunRecord, RunRecorder, StageRecord
from keel.runtime.deadline import Deadline, current_deadline, deadline_scope, outlast_deadline
from keel.runtime.progress import Progress, work_done_progress
from keel.runtime.singleflight import Flight, SingleFlight
from keel.runtime.threads import in_thread

from .engine import (
    RunOutcome,
    RunSpec,
    build_result,
    close_unfinished,
    execute_stages,
    new_state,
    stop_error,
)
from .run_findings import RunFindings, ordered_findings
from .stages_llm import LlmContext
from .state import RunState

log = structlog.get_logger(__name__)
RECENT_RUNS = 256
# The run's own deadline ends this much before the request's, so the caller gets
# the timedOut RunResult instead of the request's deadline error.
ANSWER_MARGIN_MS = 50
# How long a waiter waits for a run's wrap-up past the request's deadline.
WRAP_UP_GRACE_S = 10.0


def answer_deadline_ms(deadline_ms: int | None) -> int | None:
    """``deadline_ms`` bounded by the request's deadline scope, less the answer margin."""
    request_left = current_deadline().remaining()
    if math.isinf(request_left):
        return deadline_ms
    left_ms = max(1, int(request_left * 1000) - ANSWER_MARGIN_MS)
    return left_ms if deadline_ms is None else min(deadline_ms, left_ms)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ActiveRun:
    spec: RunSpec
    state: RunState
    key: Hashable
    deadline_ms: int | None
    llm: LlmContext | None = None
    deadline: Deadline = field(init=False)
    finishing: bool = False
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    seq: int = 0
    progress: list[Progress] = field(default_factory=list)
    flight: Flight[RunResult] | None = None
    on_finish: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.deadline = Deadline.after_ms(self.deadline_ms)

    def stop(self) -> None:
        self.finishing = True
        # A scope cancelled before it is entered cancels its body on entry.
        self.scope.cancel()

    @property
    def joinable(self) -> bool:
        """A run being torn down (stopped, past its deadline, wrapping up) takes no new waiters."""
        return not (self.finishing or self.deadline.expired)


class RunManager:
    """Holds every run of the process. ``execute`` dependencies are injected by the app."""

    def __init__(self, *, notify: Callable[[str, dict], None], progress_sink,
                 llm_factory: Callable[[str, RunSpec, Callable[..., None]], LlmContext],
                 run_cpu, recorder: Callable[[], RunRecorder]) -> None:
        self._notify = notify
        self._progress_sink = progress_sink
        self._llm_factory = llm_factory
        self._run_cpu = run_cpu
        self._recorder = recorder
        self.flights: SingleFlight[RunResult] = SingleFlight()
        self.active: dict[str, ActiveRun] = {}
        self.recent: OrderedDict[str, RunStatus] = OrderedDict()  # run id -> final status
        self.findings = RunFindings()  # every finding of recent runs, for keel/runFindings
        self.max_findings_in_result = MAX_FINDINGS_IN_RESULT

    # -- events ------------------------------------------------------------------
    def _emit(self, run: ActiveRun, kind: RunEventKind, **fields: Any) -> None:
        run.seq += 1
        event = RunEvent(run_id=run.spec.run_id, seq=run.seq, kind=kind, at=now_iso(),
                         **{k: v for k, v in fields.items() if v is not None})
        try:
            self._notify(RUN_EVENT, event.wire())
        except Exception:  # a closed client must not break the run
            log.warning("run event not delivered", kind=kind, exc_info=True)
        if kind in ("stageFinished", "started"):
            done = sum(1 for s in run.state.stages if s.status not in ("pending", "running"))
            for progress in run.progress:
                progress.report(f"{done}/{len(run.state.stages)} stages",
                                round(100 * done / max(1, len(run.state.stages))))

    # -- running -----------------------------------------------------------------
    async def run(self, spec: RunSpec, options: dict | None, params: RunWorkflowParams,
                  deadline_ms: int | None) -> RunResult:
        key = (spec.workflow.id, str(spec.target), json.dumps(options or {}, sort_keys=True,
                                                              default=str))
        existing = self.flights.get(key)
        joined_run = self._run_for(existing)
        flight: Flight[RunResult] | None
        if joined_run is None:
            if existing is not None:
                self.flights.retire(existing)  # winding down: its outcome is not ours
            if spec.run_id in self.active or spec.run_id in self.recent:
                raise InvalidInput(f"The run id {spec.run_id!r} is already in use.",
                                   code="run.id_in_use", run_id=spec.run_id,
                                   details={"field": "runId"})
            run = ActiveRun(spec, new_state(spec), key, answer_deadline_ms(deadline_ms))
            flight, joined = self.flights.join(key, lambda: self._in_fresh_context(run),
                                               stop=run.stop, run_id=spec.run_id)
            run.flight = flight
            self.active[spec.run_id] = run
            self._emit(run, "queued", client_run_id=params.run_id)
        else:
            run, flight, joined = joined_run, joined_run.flight, True
            self._emit(run, "attached", client_run_id=params.run_id)
        assert flight is not None
        sink = self._progress_sink if params.work_done_token is not None else None
        async with work_done_progress(sink, f"Keel: {spec.workflow.title}",
                                      params.work_done_token) as progress:
            run.progress.append(progress)
            wait = self.flights.wait(flight)
            if run.deadline.at <= current_deadline().at:
                # The run's deadline is this caller's (or sooner): wait for its answer past
                # the request's own deadline. A joined caller with a shorter deadline is
                # not shielded: it gets its deadline error and detaches.
                wait = outlast_deadline(wait, WRAP_UP_GRACE_S, "the run")
            try:
                result = await wait
            finally:
                run.progress.remove(progress)
            progress.final_message = result.status
        return result.model_copy(update={"deduplicated": joined})

    def _run_for(self, flight: Flight[RunResult] | None) -> ActiveRun | None:
        """The run a new identical request may join: one that is in flight and not winding down."""
        if flight is None or flight.task.done():
            return None
        run = self.active.get(flight.meta["run_id"])
        return run if run is not None and run.joinable else None

    def timed_out_before_start(self, spec: RunSpec, params: RunWorkflowParams) -> RunResult:
        """The timedOut RunResult of a run whose deadline passed while it was being prepared."""
        state, now = new_state(spec), now_iso()
        error = stop_error("timedOut")
        close_unfinished(state, "timedOut", error)
        result, _ = _assemble(spec, state, "timedOut", error, now, now, 0,
                              self.max_findings_in_result)
        self._remember(spec.run_id, result.status)
        log.info("run timed out before it started", client_run_id=params.run_id)
        return result

    async def _in_fresh_context(self, run: ActiveRun) -> RunResult:
        # A fresh context: no request deadline, no request-bound log fields.
        task = asyncio.get_running_loop().create_task(self._execute(run),
                                                      context=contextvars.Context())
        return await task

    async def _execute(self, run: ActiveRun) -> RunResult:
        structlog.contextvars.bind_contextvars(run_id=run.spec.run_id)
        spec, state = run.spec, run.state
        started_at, started = now_iso(), time.monotonic()
        self._call_recorder("run_started", RunRecord(spec.run_id, spec.workflow.id,
                                                     spec.target_display, "running", started_at))
        self._emit(run, "started")
        outcome: RunOutcome = "completed"
        error: KeelError | None = None
        try:
            with run.scope:
                try:
                    async with deadline_scope(run.deadline.remaining_ms(), "the run"):
                        llm = self._llm_factory(spec.run_id, spec,
                                                lambda kind, **f: self._emit(run, kind, **f))
                        run.llm = llm
                        await execute_stages(spec, state, llm, self._run_cpu,
                                             lambda kind, **f: self._emit(run, kind, **f))
                except DeadlineExceeded:
                    outcome = "timedOut"
            if run.scope.cancelled_caught:
                outcome = "cancelled"
        except KeelError as exc:
            outcome, error = "failed", exc
        except Exception:
            log.exception("run failed unexpectedly")
            outcome, error = "failed", InternalError(
                "The run hit an unexpected error; details are in the Keel log.")
        finally:
            self._wind_down(run)
            if run.llm is not None and run.llm.release is not None:
                run.llm.release()
        if outcome in ("cancelled", "timedOut"):
            error = stop_error(outcome)
        for stage in close_unfinished(state, outcome, error):
            self._emit(run, "stageFinished", stage=stage.id, message=stage.status)
        finished_at = now_iso()
        duration_ms = round((time.monotonic() - started) * 1000)
        # Off the loop: a big run's findings (tens of thousands) take seconds to order,
        # render and validate, and keel/health must keep answering meanwhile.
        result, ordered = await in_thread(_assemble, spec, state, outcome, error, started_at,
                                          finished_at, duration_ms, self.max_findings_in_result)
        self.findings.keep(spec.run_id, ordered)
        self._call_recorder("run_finished", _run_record(result, state))
        self._emit(run, "finished", message=result.status)
        self._forget(run, result.status)
        return result

    def _wind_down(self, run: ActiveRun) -> None:
        run.finishing = True
        if run.flight is not None:
            self.flights.retire(run.flight)

    def _forget(self, run: ActiveRun, status: RunStatus) -> None:
        self.active.pop(run.spec.run_id, None)
        self._remember(run.spec.run_id, status)

    def _remember(self, run_id: str, status: RunStatus) -> None:
        self.recent[run_id] = status
        while len(self.recent) > RECENT_RUNS:
            self.recent.popitem(last=False)

    def _call_recorder(self, method: str, record) -> None:
        try:
            getattr(self._recorder(), method)(record)
        except Exception:  # history is best effort: storage trouble never fails a run
            log.warning("recorder failed", method=method, exc_info=True)

    def findings_page(self, params: RunFindingsParams) -> RunFindingsResult:
        total, page = self.findings.page(params.run_id, params.offset, params.limit)
        end = params.offset + len(page)
        return RunFindingsResult(run_id=params.run_id, total=total, offset=params.offset,
                                 findings=page, next_offset=end if end < total else None)

    # -- cancelling ----------------------------------------------------------------
    async def cancel(self, run_id: str) -> CancelRunResult:
        run = self.active.get(run_id)
        if run is None or run.flight is None:
            status = self.recent.get(run_id)
            if status is None:
                raise InvalidInput(f"No run with id {run_id!r} is known.", code="run.unknown",
                                   run_id=run_id, details={"field": "runId"})
            return CancelRunResult(cancelled=False, status=status)
        stopped = self.flights.stop(run.flight)
        # shield: a cancelled cancelRun request must not cancel the run's own wrap-up.
        result = await asyncio.shield(run.flight.task)
        return CancelRunResult(cancelled=stopped and result.status == "cancelled",
                               status=result.status)


def _assemble(spec: RunSpec, state: RunState, outcome: RunOutcome, error: KeelError | None,
              started_at: str, finished_at: str, duration_ms: int, max_findings: int
              ) -> tuple[RunResult, list[Finding]]:
    rel_by_uri = _rel_by_uri(state, spec.workspace_root)
    ordered = ordered_findings(state.findings(), rel_by_uri)
    result = build_result(spec, state, outcome, error, started_at, finished_at, duration_ms,
                          rel_by_uri, ordered, max_findings)
    return result, ordered


def _rel_by_uri(state: RunState, root: Path) -> dict[str, str]:
    mapping = {}
    base = root.resolve()
    for finding in state.findings():
        if finding.uri in mapping:
            continue
        path = Path(unquote(urlparse(finding.uri).path))
        try:
            mapping[finding.uri] = path.relative_to(base).as_posix()
        except ValueError:
            mapping[finding.uri] = path.name
    return mapping


def _run_record(result: RunResult, state: RunState) -> RunRecord:
    stages = [
        StageRecord(
            run_id=result.run_id, stage_id=s.id, status=r.status, tier=s.tier,
            provider=s.provider, model=s.model, attempts=s.attempts,
            fallback_used=s.fallback_used, input_tokens=s.input_tokens,
            output_tokens=s.output_tokens, usd=s.usd, duration_ms=s.duration_ms,
            estimated_input_tokens=s.estimated_input_tokens,
            estimated_output_tokens=s.estimated_output_tokens,
            error_type=s.error.error_type if s.error else None, note=s.note,
            truncated=s.truncated, cost_estimated=s.cost_estimated,
        )
        for s, r in zip(state.stages, result.stages, strict=True)
    ]
    return RunRecord(
        run_id=result.run_id, workflow=result.workflow, target=result.target,
        status=result.status, started_at=result.started_at, finished_at=result.finished_at,
        duration_ms=result.duration_ms, actual_usd=result.cost.actual_usd,
        baseline_usd=result.cost.baseline_usd,
        error_type=result.error.error_type if result.error else None,
        error_code=result.error.code if result.error else None,
        degraded=list(result.degraded), stages=stages, report_markdown=result.report.markdown,
    )


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:12]}"
