"""Budgets around ``keel/runWorkflow`` (``run_ops`` calls ``gate_run`` before, ``run_ended`` after).

The decision itself is ``keel.spend.gate`` (pure); this module brings it the
estimate of the run about to start (the same estimator ``keel/estimateCost``
uses, on the same scan cache) and the ledger's totals, and applies the run's
``options.tier`` (``"cheap"``: every model stage runs at most at that tier, the
choice the budget dialog offers).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog

from keel.cost import estimate as cost_model
from keel.cost.calibration import Calibration
from keel.errors import BudgetExceeded, InvalidInput, KeelError
from keel.protocol.cost import CostEstimate
from keel.protocol.workflows import RunWorkflowParams
from keel.providers.registry import TIERS
from keel.runtime.threads import in_thread
from keel.spend.gate import Band, check_run
from keel.spend.ledger import Charge
from keel.workflows.definitions import WorkflowCatalog, WorkflowDef
from keel.workflows.engine import RunSpec

from .budget_health import show_budget
from .services import cost_state, history_reader, spend_guard
from .state import KeelApp

log = structlog.get_logger(__name__)


def capped_workflow(workflow: WorkflowDef, tier: str) -> WorkflowDef:
    """``workflow`` with every model stage at ``tier`` or cheaper."""
    cap = TIERS.index(tier)  # type: ignore[arg-type]
    stages = tuple(
        dataclasses.replace(s, tier=TIERS[cap]) if s.tier is not None
        and TIERS.index(s.tier) > cap else s for s in workflow.stages)
    return dataclasses.replace(workflow, stages=stages)


def _tier_option(options: dict[str, Any] | None) -> str | None:
    tier = (options or {}).get("tier")
    if tier is not None and tier not in TIERS:
        raise InvalidInput(f"options.tier must be one of {', '.join(TIERS)}.",
                           details={"field": "options.tier"})
    return tier


async def gate_run(app: KeelApp, params: RunWorkflowParams, spec: RunSpec) -> RunSpec:
    """The spec to run (tier option applied), or ``BudgetExceeded`` (recorded in the ledger)."""
    tier = _tier_option(params.options)
    if tier is not None:
        spec = dataclasses.replace(spec, workflow=capped_workflow(spec.workflow, tier))
    limits = app.settings.budgets
    if not limits.limited():  # no estimate is made: the lease is sized from the last call
        guard = spend_guard(app)
        if (room := guard.unbudgeted_room()) > 0:
            await guard.open_run(spec.run_id, room)
        return spec
    ledger = spend_guard(app).ledger()
    try:
        totals = await in_thread(ledger.totals)
    except KeelError as error:  # cannot count: refuse rather than spend blind
        raise BudgetExceeded(f"Not started: the spend ledger cannot be read ({error.message}).",
                             code="budget.unavailable", hint=error.hint,
                             run_id=spec.run_id) from error
    estimate = await _estimate(app, spec, spec.workflow)
    cheap = None
    if tier != "cheap":
        cheap = (await _estimate(app, spec, capped_workflow(spec.workflow, "cheap"))).usd.high
    band = Band(estimate.usd.low, estimate.usd.expected, estimate.usd.high)
    refusal = check_run(limits, totals, band, confirmed=params.confirm_over_budget,
                        cheap_high=cheap)
    if refusal is None:
        # The run's room, reserved now: its model calls then hold in memory, not on disk.
        await spend_guard(app).open_run(spec.run_id, band.high)
        return spec
    show_budget(app, totals)
    refusal.run_id = spec.run_id
    try:
        await in_thread(ledger.record_refusal, Charge(spec.run_id, band.high),
                        f"before run: budget.{refusal.details['budget']}")
    except KeelError as error:
        log.warning("spend.refusal_not_recorded", code=error.code)
    raise refusal


async def _estimate(app: KeelApp, spec: RunSpec, workflow: WorkflowDef) -> CostEstimate:
    catalog = WorkflowCatalog({workflow.id: workflow})

    def calibration() -> Calibration | None:
        try:
            return Calibration(*history_reader(app).estimator_error(workflow.id))
        except Exception:  # noqa: BLE001 - no calibration is a wider band, never a failure
            return None

    return await in_thread(lambda: cost_model.estimate_cost(
        workflow.id, spec.target, spec.workspace_root, app.settings, cache=cost_state(app).cache,
        calibration=calibration, environ=app.env, max_file_bytes=spec.max_file_bytes,
        catalog=catalog))


async def run_ended(app: KeelApp, run_id: str) -> None:
    """Write the run's settled calls and give the rest of its lease back (no ledger, no-op)."""
    if app.spend is not None:
        await app.spend.end_run(run_id)
