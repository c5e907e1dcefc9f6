"""keel/listWorkflows, keel/runWorkflow, keel/cancelRun and keel/runFindings.

A run is prepared here (history, catalog, target, the input check, within the
deadline) and handed to the app's run manager (``services.run_manager``),
which owns it from then on.
"""

from __future__ import annotations

import json
from pathlib import Path

from keel.cost.inputs import require_input
from keel.errors import Cancelled, DeadlineExceeded, InvalidInput
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
from keel.runtime.admission import Admit, Release, current_admit
from keel.runtime.deadline import current_deadline, deadline_scope
from keel.runtime.threads import in_thread
from keel.settings import effective_deadline_ms
from keel.targets import containing_folder, display_target, resolve_target
from keel.workflows.definitions import BUILTIN_WORKFLOWS, WorkflowDef
from keel.workflows.engine import RunSpec
from keel.workflows.runs import RunManager, answer_deadline_ms, new_run_id

from .budget_gate import gate_run, run_ended
from .services import cost_state, history_reader, run_manager, workflow_catalog
from .state import KeelApp
from .trust import mark_skipped_workflow_stages


def _info(workflow: WorkflowDef) -> WorkflowInfo:
    return WorkflowInfo(
        id=workflow.id, title=workflow.title, description=workflow.description,
        profile=workflow.profile,
        stages=[StageInfo(id=s.id, title=s.title, kind=s.kind, tier=s.tier)
                for s in workflow.stages],
    )


async def list_workflows(app: KeelApp, params: ListWorkflowsParams) -> ListWorkflowsResult:
    catalog = await workflow_catalog(app)
    return mark_skipped_workflow_stages(
        app, ListWorkflowsResult(workflows=[_info(w) for w in catalog.workflows.values()]))


async def run_workflow(app: KeelApp, params: RunWorkflowParams) -> RunResult:
    manager = run_manager(app)
    # Dedup before admission: an identical request joins the run (or the request about to
    # start it) without waiting for a slot; only the request that starts a run takes one.
    try:
        return await manager.run_request(request_key(params), params,
                                         lambda: _start_run(app, params, manager, current_admit()))
    except Cancelled as exc:
        if exc.code != "run.cancelled":
            raise
        # keel/cancelRun named it (or the run it waited for) before it was registered.
        return manager.ended_before_start(_unprepared_spec(app, params), params, "cancelled")


def request_key(params: RunWorkflowParams) -> tuple[str, str, str]:
    """What makes two runWorkflow requests identical on the wire (not their runId or deadline)."""
    return (params.workflow, params.target,
            json.dumps(params.options or {}, sort_keys=True, default=str))


async def _start_run(app: KeelApp, params: RunWorkflowParams, manager: RunManager,
                     admit: Admit) -> RunResult:
    # Waiting for a slot and preparing (history, catalog, target, the input check) count
    # against the deadline too. Out of time before the run could start (a busy or cold
    # server, a slow disk), the caller still gets a timedOut RunResult, as every run that
    # reaches its deadline does.
    release: Release | None = None
    try:
        async with deadline_scope(answer_deadline_ms(None), "preparing the run"):
            release = await admit()
            spec = await _prepare_run(app, params, manager)
    except DeadlineExceeded:
        if release is not None:
            release()
        unprepared = _unprepared_spec(app, params)
        return manager.ended_before_start(unprepared, params, "timedOut")
    except BaseException:
        if release is not None:
            release()
        raise
    deadline_ms = effective_deadline_ms(app.settings, RUN_WORKFLOW, params.timeout_ms)
    try:
        return await manager.run(spec, params.options, params, deadline_ms,
                                 request_key=request_key(params), release=release)
    finally:
        await run_ended(app, spec.run_id)  # budgets: its lease's room goes back to every window


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
        max_file_bytes=app.settings.advisor.max_file_bytes, advisor=app.settings.advisor,
    )
    deadline, scan_cache = current_deadline(), cost_state(app).cache
    await in_thread(  # nothing to read: -32602 target.no_input, not an empty success
        lambda: require_input(target, folder, spec.target_display, workflow.id, workflow.inputs,
                              spec.max_file_bytes, scan_cache, lambda: deadline.expired))
    return await gate_run(app, params, spec)  # budgets: budget.exceeded, options.tier


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
