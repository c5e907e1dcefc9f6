"""keel/listWorkflows, keel/runWorkflow and keel/cancelRun.

The run manager and the resilience state it shares (breakers, retry budgets,
the answer cache) live in ``app.extensions`` so they last as long as the
server. Providers are built from the current settings and rebuilt when the
settings object changes; an old set is closed once no run uses it any more.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import structlog

from keel.cost.inputs import require_input
from keel.errors import InvalidInput
from keel.health.config import note_workflows_file
from keel.protocol.workflows import (
    CancelRunParams,
    CancelRunResult,
    ListWorkflowsParams,
    ListWorkflowsResult,
    RunResult,
    RunWorkflowParams,
    StageInfo,
    WorkflowInfo,
)
from keel.providers.base import Completion
from keel.providers.factory import ProviderSet, build_providers
from keel.resilience import ResponseCache, process_budgets, process_registry
from keel.runtime.deadline import current_deadline
from keel.settings import effective_deadline_ms
from keel.storage.records import MemoryRecorder, RunRecorder
from keel.targets import containing_folder, display_target, resolve_target
from keel.workflows.definitions import WorkflowCatalog, WorkflowDef, load_catalog
from keel.workflows.engine import RunSpec
from keel.workflows.runs import RunManager, new_run_id, now_iso
from keel.workflows.stages_llm import LlmContext, Resilience

from .cost_ops import cost_state
from .history_ops import history_reader
from .state import KeelApp

log = structlog.get_logger(__name__)
RUNS_KEY = "runs"
_CLOSING: set[asyncio.Task[None]] = set()


class _ProviderLease:
    """One built ProviderSet and how many runs use it; closed when retired and unused."""

    def __init__(self, settings: object, providers: ProviderSet) -> None:
        self.settings = settings
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
    ext = app.extensions
    res = ext.get("workflow_resilience")
    if res is None:
        breakers = ext.setdefault("breakers", process_registry())
        budgets = ext.setdefault("retry_budgets", process_budgets())
        cache: ResponseCache[Completion] = ext.setdefault("response_cache", ResponseCache(256))
        res = ext["workflow_resilience"] = Resilience(breakers, budgets, cache)  # type: ignore[arg-type]
    return res  # type: ignore[return-value]


def recorder_of(app: KeelApp) -> RunRecorder:
    """Storage (or the in-memory double), teed to OpenTelemetry when that is configured."""
    base = app.extensions.get("recorder")
    if base is None:
        base = app.extensions.setdefault("memory_recorder", MemoryRecorder())
    hub = app.extensions.get("telemetry")
    if hub is None:
        return base  # type: ignore[return-value]
    from keel.observability.otel import TelemetryRecorder

    tee = app.extensions.get("recorder_tee")
    if not isinstance(tee, TelemetryRecorder) or tee.inner is not base:
        tee = app.extensions["recorder_tee"] = TelemetryRecorder(base, hub)  # type: ignore[arg-type]
    return tee


def provider_lease(app: KeelApp) -> _ProviderLease:
    """The current provider set (rebuilt when settings change); callers bump ``users``."""
    lease: _ProviderLease | None = app.extensions.get("provider_lease")  # type: ignore[assignment]
    if lease is None or lease.settings is not app.settings:
        factory = app.extensions.get("provider_factory", build_providers)
        fresh = _ProviderLease(app.settings, factory(app.settings, app.env))  # type: ignore[operator]
        if lease is not None:
            lease.retire()
        app.extensions["provider_lease"] = lease = fresh
    return lease


def run_manager(app: KeelApp) -> RunManager:
    manager: RunManager | None = app.extensions.get(RUNS_KEY)  # type: ignore[assignment]
    if manager is not None:
        return manager

    def llm_factory(run_id: str, spec: RunSpec, emit) -> LlmContext:
        lease = provider_lease(app)
        lease.users += 1
        return LlmContext(run_id=run_id, workflow=spec.workflow, providers=lease.providers,
                          resilience=resilience_of(app), recorder=recorder_of(app), emit=emit,
                          now_iso=now_iso, release=lease.release)

    manager = RunManager(
        notify=app.notifier.notify, progress_sink=app.notifier, llm_factory=llm_factory,
        run_cpu=app.extensions.get("run_cpu", app.workers.run), recorder=lambda: recorder_of(app),
    )
    app.extensions[RUNS_KEY] = manager
    return manager


async def workflow_catalog(app: KeelApp) -> WorkflowCatalog:
    """The workspace's workflows (user file only when trusted); a broken file degrades config."""
    root = app.workspace_root if app.workspace_trusted else None
    catalog = await anyio.to_thread.run_sync(load_catalog, root, abandon_on_cancel=True)
    note_workflows_file(app.monitor, app.notifier.show_message, catalog.problem)
    return catalog


def _info(workflow: WorkflowDef) -> WorkflowInfo:
    return WorkflowInfo(
        id=workflow.id, title=workflow.title, description=workflow.description,
        profile=workflow.profile,
        stages=[StageInfo(id=s.id, title=s.title, kind=s.kind, tier=s.tier)
                for s in workflow.stages],
    )


async def list_workflows_op(app: KeelApp, params: ListWorkflowsParams) -> ListWorkflowsResult:
    catalog = await workflow_catalog(app)
    return ListWorkflowsResult(workflows=[_info(w) for w in catalog.workflows.values()])


async def run_workflow(app: KeelApp, params: RunWorkflowParams) -> RunResult:
    if params.run_id and params.run_id not in run_manager(app).active and await (
            anyio.to_thread.run_sync(history_reader(app).run_id_taken, params.run_id,
                                     abandon_on_cancel=True)):
        raise InvalidInput(f"The run id {params.run_id!r} is already in this workspace's history.",
                           code="run.id_in_use", details={"field": "runId"})
    workflow = (await workflow_catalog(app)).get(params.workflow)
    folders = list(app.workspace_folders) or [app.workspace_root]
    target: Path = await anyio.to_thread.run_sync(resolve_target, params.target, folders)
    folder = containing_folder(target, folders) or app.workspace_root.resolve()
    spec = RunSpec(
        run_id=params.run_id or new_run_id(), workflow=workflow, target=target,
        target_display=display_target(target, folder), workspace_root=folder,
        thresholds=app.settings.advisor.thresholds,
        max_file_bytes=app.settings.advisor.max_file_bytes,
    )
    deadline, scan_cache = current_deadline(), cost_state(app).cache
    await anyio.to_thread.run_sync(  # nothing to read: -32602 target.no_input, not an empty success
        lambda: require_input(target, folder, spec.target_display, workflow.id, workflow.inputs,
                              spec.max_file_bytes, scan_cache, lambda: deadline.expired),
        abandon_on_cancel=True)
    deadline_ms = effective_deadline_ms(app.settings, "keel/runWorkflow", params.timeout_ms)
    return await run_manager(app).run(spec, params.options, params, deadline_ms)


async def cancel_run(app: KeelApp, params: CancelRunParams) -> CancelRunResult:
    return await run_manager(app).cancel(params.run_id)
