"""The run manager: deduplication, cancellation, deadlines, events and records of runs.

protocol.md "Runs: deduplication and cancellation":

- identical in-flight runs (workflow, resolved target, options) share one run
  through ``SingleFlight``; a later caller gets the same ``runId`` with
  ``deduplicated: true`` and an ``attached`` runEvent;
- a waiter cancelled by ``$/cancelRequest`` detaches only itself; the last one
  to detach cancels the run; ``cancel(run_id)`` stops it for everyone, and
  every waiter gets the ``cancelled`` RunResult;
- deduplication comes before admission (``run_request``): a request identical
  on the wire (workflow, target as sent, options) to one being admitted or
  prepared waits for that one's run and attaches to it, without a slot; only
  the request that starts a run takes one, and the run releases it when it
  ends. So admission limits runs, never duplicates.

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
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import structlog

from keel.errors import DeadlineExceeded, InternalError, InvalidInput, KeelError
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
from keel.records import RunRecord, RunRecorder
from keel.runtime.admission import Release
from keel.runtime.deadline import Deadline, current_deadline, deadline_scope, outlast_deadline
from keel.runtime.progress import Progress, work_done_progress
from keel.runtime.singleflight import Flight, SingleFlight
from keel.runtime.threads import in_thread

from .engine import (
    RunOutcome,
    RunSpec,
    close_unfinished,
    execute_stages,
    new_state,
    stop_error,
)
from .run_findings import RunFindings
from .run_preparing import PreparingRuns
from .run_results import assemble as _assemble
from .run_results import run_record as _run_record
from .stages_llm import LlmContext
from .state import RunState

log = structlog.get_logger(__name__)
RECENT_RUNS = 256
# How long a cancelRun naming an unknown run waits for a runWorkflow carrying that id, which
# its own Cancel can overtake (its progress token alone may take the client 1 s).
CANCEL_GRACE_S = 2.0
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
    request_keys: list[Hashable] = field(default_factory=list)  # run_request's keys for it

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


def report_stage_progress(state: RunState, progress: list[Progress], event: RunEvent) -> None:
    """Inside a model stage, the work-done report moves with each chunk (not only per stage)."""
    info = event.progress
    assert info is not None
    stages = max(1, len(state.stages))
    done = sum(1 for s in state.stages if s.status not in ("pending", "running"))
    share = info.done / max(1, info.chunks)
    for each in progress:
        each.report(event.message, round(100 * (done + share) / stages))


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
        # Dedup before admission: a request key -> its run, and the requests that will start
        # one (waiting for a slot, or being prepared) -> done when it is registered or failed.
        self._by_request: dict[Hashable, ActiveRun] = {}
        self._pending: dict[Hashable, asyncio.Future[None]] = {}
        self.preparing = PreparingRuns()  # a cancelRun may name a run not registered yet
        self.cancel_grace_s = CANCEL_GRACE_S

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
        elif event.progress is not None:
            report_stage_progress(run.state, run.progress, event)

    # -- running -----------------------------------------------------------------
    async def run_request(self, request_key: Hashable, params: RunWorkflowParams,
                          start: Callable[[], Awaitable[RunResult]]) -> RunResult:
        """Join the run of an identical request (in flight, admitted or still queued), or ``start()``.

        ``start`` takes the admission slot, prepares and calls ``run(..., request_key=...)``.
        Identical requests arriving meanwhile wait for it without a slot: once the run is
        registered they attach to it; when the leader fails with a client error, they get
        the same error; when it gave up (cancelled, out of time, its run id taken) they retry.
        """
        while True:
            run = self._by_request.get(request_key)
            if run is not None and run.flight is not None and self._run_for(run.flight) is run:
                return await self._wait_for_run(run, run.flight, True, params)
            pending = self._pending.get(request_key)
            if pending is None:
                break
            await asyncio.wait({pending})  # our own cancel propagates; theirs is read below
            failure = None if pending.cancelled() else pending.exception()
            if isinstance(failure, KeelError) and _shared_failure(failure):
                raise failure
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[request_key] = mine
        try:
            return await self.preparing.prepare(params.run_id, start)
        except KeelError as exc:
            self._settle(request_key, mine, exc)
            raise
        finally:
            self._settle(request_key, mine, None)

    def _settle(self, request_key: Hashable, pending: asyncio.Future[None],
                failure: KeelError | None) -> None:
        if self._pending.get(request_key) is pending:
            del self._pending[request_key]
        if not pending.done():
            if failure is None:
                pending.set_result(None)
            else:
                pending.set_exception(failure)
                pending.exception()  # read here: a leader with no waiters is not an unread error

    async def run(self, spec: RunSpec, options: dict | None, params: RunWorkflowParams,
                  deadline_ms: int | None, *, request_key: Hashable | None = None,
                  release: Release | None = None) -> RunResult:
        """Start ``spec`` (or join the identical run in flight) and wait for its result.

        ``release`` gives back the admission slot taken for it: when the run ends, or at
        once when this joins a run that holds its own.
        """
        try:
            run, flight, joined = self._register(spec, options, params, deadline_ms)
        except BaseException:
            if release is not None:
                release()
            raise
        if release is not None:
            if joined:
                release()
            else:
                flight.task.add_done_callback(lambda _task: release())
        if request_key is not None:
            self._by_request[request_key] = run
            run.request_keys.append(request_key)
            pending = self._pending.pop(request_key, None)
            if pending is not None and not pending.done():
                pending.set_result(None)  # identical requests waiting for it attach now
        return await self._wait_for_run(run, flight, joined, params)

    def _register(self, spec: RunSpec, options: dict | None, params: RunWorkflowParams,
                  deadline_ms: int | None) -> tuple[ActiveRun, Flight[RunResult], bool]:
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
            return run, flight, joined
        assert joined_run.flight is not None
        return joined_run, joined_run.flight, True

    async def _wait_for_run(self, run: ActiveRun, flight: Flight[RunResult], joined: bool,
                            params: RunWorkflowParams) -> RunResult:
        if joined:
            self._emit(run, "attached", client_run_id=params.run_id)
        sink = self._progress_sink if params.work_done_token is not None else None
        async with work_done_progress(sink, f"Keel: {run.spec.workflow.title}",
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

    def ended_before_start(self, spec: RunSpec, params: RunWorkflowParams,
                           outcome: RunOutcome) -> RunResult:
        """The RunResult of a run cancelled or out of time while it was being prepared."""
        state, now = new_state(spec), now_iso()
        error = stop_error(outcome)
        close_unfinished(state, outcome, error)
        result, _ = _assemble(spec, state, outcome, error, now, now, 0,
                              self.max_findings_in_result)
        self._remember(spec.run_id, result.status)
        log.info("run ended before it started", outcome=outcome, client_run_id=params.run_id)
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
        for request_key in run.request_keys:
            if self._by_request.get(request_key) is run:
                del self._by_request[request_key]

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
            if status is None and await self.preparing.stop(run_id):
                return CancelRunResult(cancelled=True, status="cancelled")
            if status is None and await self.preparing.registered(run_id, self.cancel_grace_s):
                return await self.cancel(run_id)  # it arrived just behind its Cancel
            if status is None:
                raise InvalidInput(f"No run with id {run_id!r} is known.", code="run.unknown",
                                   run_id=run_id, details={"field": "runId"})
            return CancelRunResult(cancelled=False, status=status)
        stopped = self.flights.stop(run.flight)
        # shield: a cancelled cancelRun request must not cancel the run's own wrap-up.
        result = await asyncio.shield(run.flight.task)
        return CancelRunResult(cancelled=stopped and result.status == "cancelled",
                               status=result.status)


def _shared_failure(failure: KeelError) -> bool:
    """Whether an identical request fails as its leader did (not: out of time, or its run id)."""
    return not isinstance(failure, DeadlineExceeded) and failure.code != "run.id_in_use"


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:12]}"
