"""keel/listWorkflows, keel/runWorkflow and keel/cancelRun.

The run manager and the resilience state it shares (breakers, retry budgets,
the answer cache) are attributes of the app so they last as long as the
server. Providers are built from the current settings and rebuilt when the
settings object changes; an old set is closed once no run uses it any more.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from keel.cost.inputs import require_input
from keel.errors import DeadlineExceeded, InvalidInput
from keel.health.config import note_workflows_file
from keel.protocol.methods import RUN_WORKFLOW
from keel.protocol.workflows import (
    CancelRunParams,
    CancelRunResult,
    ListWorkflowsParams,
    ListWorkflowsResult,
    RunFindingsParams,
    RunFindingsResult,
    RunResult,
    RunWorkflowParams,
    StageInfo,
    WorkflowInfo,
)
from keel.providers.base import Completion
from keel.providers.factory import ProviderSet
from keel.records import MemoryRecorder, RunRecorder
from keel.resilience import BudgetRegistry, ResponseCache
from keel.runtime.deadline import current_deadline, deadline_scope
from keel.runtime.threads import in_thread
from keel.settings import effective_deadline_ms
from keel.targets import containing_folder, display_target, resolve_target
from keel.workflows.definitions import (
    BUILTIN_WORKFLOWS,
    WorkflowCatalog,
    WorkflowDef,
    load_catalog,
)
from keel.workflows.engine import RunSpec
from keel.workflows.runs import RunManager, answer_deadline_ms, new_run_id, now_iso
from keel.workflows.stages_llm import LlmContext, Resilience

from .cost_ops import cost_state
from .history_ops import history_reader
from .provider_health import breakers
from .state import KeelApp
from .trust import providers_for

log = structlog.get_logger(__name__)
_CLOSING: set[asyncio.Task[None]] = set()


class ProviderLease:
    """One built ProviderSet and how many runs use it; closed when retired and unused."""

    def __init__(self, settings: object, providers: ProviderSet, trusted: bool = True) -> None:
        self.settings = settings
        self.trusted = trusted
        self.providers = providers
        self.users = 0
        self.retired = False

    def release(self) -> None:
        self.users -= 1
        self._close_if_done()

    def retire(self) -> None:
        self.retired = True
        self._close_if_done()

    def _close_if_done(self) -> None:
        if not (self.retired and self.users <= 0):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a CLI after its run): the process is ending anyway
        task = loop.create_task(self.providers.aclose_all())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


def resilience_of(app: KeelApp) -> Resilience:
    """This app's breakers, retry budgets and answer cache (its own: never another app's)."""
    if app.resilience is None:
        cache: ResponseCache[Completion] = ResponseCache(256)
        app.resilience = Resilience(breakers(app), BudgetRegistry(), cache)
    return app.resilience


def recorder_of(app: KeelApp) -> RunRecorder:
    """The injected recorder, else storage, else in memory; teed to OpenTelemetry when configured."""
    base = app.recorder or app.storage or app.fallback_recorder
    if base is None:
        base = app.fallback_recorder = MemoryRecorder()
    if app.telemetry is None:
        return base
    from keel.observability.otel import TelemetryRecorder

    tee = app.telemetry_tee
    if not isinstance(tee, TelemetryRecorder) or tee.inner is not base:
        tee = app.telemetry_tee = TelemetryRecorder(base, app.telemetry)
    return tee


def provider_lease(app: KeelApp) -> ProviderLease:
    """The current provider set (rebuilt when settings change); callers bump ``users``."""
    lease = app.provider_lease
    if lease is None or lease.settings is not app.settings or lease.trusted != app.workspace_trusted:
        fresh = ProviderLease(app.settings, providers_for(app), app.workspace_trusted)
        if lease is not None:
            lease.retire()
        app.provider_lease = lease = fresh
    return lease


def run_manager(app: KeelApp) -> RunManager:
    if app.runs is not None:
        return app.runs

    def llm_factory(run_id: str, spec: RunSpec, emit) -> LlmContext:
        lease = provider_lease(app)
        lease.users += 1
        return LlmContext(run_id=run_id, workflow=spec.workflow, providers=lease.providers,
                          resilience=resilience_of(app), recorder=recorder_of(app), emit=emit,
                          now_iso=now_iso, release=lease.release)

    manager = RunManager(
        notify=app.notifier.notify, progress_sink=app.notifier, llm_factory=llm_factory,
        run_cpu=app.run_cpu or app.workers.run, recorder=lambda: recorder_of(app),
    )
    app.runs = manager
    return manager


async def workflow_catalog(app: KeelApp) -> WorkflowCatalog:
    """The workspace's workflows (user file only when trusted); a broken file degrades config."""
    root = app.workspace_root if app.workspace_trusted else None
    catalog = await in_thread(load_catalog, root)
    note_workflows_file(app.monitor, app.notifier.show_message, catalog.problem)
    return catalog


def _info(workflow: WorkflowDef) -> WorkflowInfo:
    return WorkflowInfo(
        id=workflow.id, title=workflow.title, description=workflow.description,
        profile=workflow.profile,
        stages=[StageInfo(id=s.id, title=s.title, kind=s.kind, tier=s.tier)
                for s in workflow.stages],
    )


async def list_workflows(app: KeelApp, params: ListWorkflowsParams) -> ListWorkflowsResult:
    catalog = await workflow_catalog(app)
    return ListWorkflowsResult(workflows=[_info(w) for w in catalog.workflows.values()])


async def run_workflow(app: KeelApp, params: RunWorkflowParams) -> RunResult:
    manager = run_manager(app)
    # Preparing (history, catalog, target, the input check) counts against the deadline
    # too. Out of time before the run could start (a cold server, a slow disk), the
    # caller still gets a timedOut RunResult, as every run that reaches its deadline does.
    try:
        async with deadline_scope(answer_deadline_ms(None), "preparing the run"):
            spec = await _prepare_run(app, params, manager)
    except DeadlineExceeded:
        return manager.timed_out_before_start(_unprepared_spec(app, params), params)
    deadline_ms = effective_deadline_ms(app.settings, RUN_WORKFLOW, params.timeout_ms)
    return await manager.run(spec, params.options, params, deadline_ms)


async def _prepare_run(app: KeelApp, params: RunWorkflowParams, manager: RunManager) -> RunSpec:
    if params.run_id and params.run_id not in manager.active and await (
            in_thread(history_reader(app).run_id_taken, params.run_id)):
        raise InvalidInput(f"The run id {params.run_id!r} is already in this workspace's history.",
                           code="run.id_in_use", details={"field": "runId"})
    workflow = (await workflow_catalog(app)).get(params.workflow)
    folders = list(app.workspace_folders) or [app.workspace_root]
    target: Path = await in_thread(resolve_target, params.target, folders)
    folder = containing_folder(target, folders) or app.workspace_root.resolve()
    spec = RunSpec(
        run_id=params.run_id or new_run_id(), workflow=workflow, target=target,
        target_display=display_target(target, folder), workspace_root=folder,
        thresholds=app.settings.advisor.thresholds,
        max_file_bytes=app.settings.advisor.max_file_bytes,
    )
    deadline, scan_cache = current_deadline(), cost_state(app).cache
    await in_thread(  # nothing to read: -32602 target.no_input, not an empty success
        lambda: require_input(target, folder, spec.target_display, workflow.id, workflow.inputs,
                              spec.max_file_bytes, scan_cache, lambda: deadline.expired))
    return spec


def _unprepared_spec(app: KeelApp, params: RunWorkflowParams) -> RunSpec:
    """What is known of a run that ran out of time while being prepared."""
    workflow = BUILTIN_WORKFLOWS.get(params.workflow) or WorkflowDef(
        id=params.workflow, title=params.workflow, description="", profile="balanced",
        stages=())
    return RunSpec(
        run_id=params.run_id or new_run_id(), workflow=workflow, target=Path(params.target),
        target_display=params.target[:200], workspace_root=app.workspace_root,
        thresholds=app.settings.advisor.thresholds,
        max_file_bytes=app.settings.advisor.max_file_bytes,
    )


async def cancel_run(app: KeelApp, params: CancelRunParams) -> CancelRunResult:
    return await run_manager(app).cancel(params.run_id)


async def run_findings(app: KeelApp, params: RunFindingsParams) -> RunFindingsResult:
    return run_manager(app).findings_page(params)
