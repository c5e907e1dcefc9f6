"""keel/estimateCost: a scan off the event loop, superseded by a newer estimate, bound by 3 s."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import structlog

from keel.cost import estimate as cost_model
from keel.cost.calibration import Calibration
from keel.errors import Superseded
from keel.protocol.cost import CostEstimate, EstimateCostParams
from keel.records import EstimateRecord
from keel.runtime.deadline import current_deadline
from keel.runtime.threads import in_thread
from keel.scan.cache import normalize
from keel.targets import containing_folder, resolve_target

from .budget_health import budget_of
from .services import cost_state, history_reader, recorder_of, workflow_catalog
from .state import InFlightEstimate, KeelApp
from .trust import mark_skipped_estimate_stages

log = structlog.get_logger(__name__)


def _calibration(app: KeelApp, workflow: str):
    def load() -> Calibration | None:
        try:
            samples, error = history_reader(app).estimator_error(workflow)
        except Exception as exc:  # storage trouble must not break an estimate
            log.info("no calibration", reason=type(exc).__name__)
            return None
        return Calibration(samples, error)

    return load


async def estimate_cost(app: KeelApp, params: EstimateCostParams) -> CostEstimate:
    state = cost_state(app)
    older = state.in_flight.get(params.workflow)
    if older is not None:
        older.superseded = True  # the user typed on: the older answer would only flicker
        older.stop.set()
    mine = InFlightEstimate()
    state.in_flight[params.workflow] = mine
    deadline = current_deadline()
    folders = list(app.workspace_folders) or [app.workspace_root]

    def should_stop() -> bool:
        return mine.stop.is_set() or deadline.expired

    def run() -> CostEstimate:
        target = resolve_target(params.target, folders)
        root = containing_folder(target, folders) or app.workspace_root
        # The same inputs a run reads: trust decides user workflows, the advisor's size cap.
        return cost_model.estimate_cost(params.workflow, target, root, app.settings,
                                        cache=state.cache,
                                        calibration=_calibration(app, params.workflow),
                                        should_stop=should_stop, environ=app.env,
                                        max_file_bytes=app.settings.advisor.max_file_bytes,
                                        catalog=catalog)

    try:
        # After the supersede bookkeeping above: newer requests win by arrival, not by who
        # gets through this await first. The same workflows a run reads; built-ins always.
        catalog = await workflow_catalog(app)
        result = await in_thread(run)
    except Exception:
        if mine.superseded:
            raise Superseded(f"A newer estimate for {params.workflow!r} superseded this one.") from None
        raise
    finally:
        mine.stop.set()  # also stops an abandoned scan after a deadline or a cancel
        if state.in_flight.get(params.workflow) is mine:
            del state.in_flight[params.workflow]
    if mine.superseded:
        raise Superseded(f"A newer estimate for {params.workflow!r} superseded this one.")
    recorder_of(app).estimate_made(EstimateRecord(
        workflow=result.workflow, target=result.target, files=result.files,
        input_tokens=result.input_tokens, output_tokens=result.output_tokens,
        usd_expected=result.usd.expected, duration_ms=result.duration_ms,
        at=datetime.now(UTC).isoformat()))
    result = mark_skipped_estimate_stages(app, result)
    result.budget = await budget_of(app)  # budget left, shown beside the band
    return result


def invalidate(app: KeelApp, paths: list[str]) -> int:
    """Apply workspace/didChangeWatchedFiles: drop what the scan cache knew about ``paths``.

    Paths outside every workspace folder cannot change an estimate (a target
    is always inside one) and are dropped here, so a client that reports its
    whole disk does not grow the cache's bookkeeping. A folder opened through a
    symlink is reported under the link's path: such paths are mapped onto the
    resolved folder (one ``realpath`` per distinct parent).
    """
    folders = [str(folder) for folder in (app.workspace_folders or [app.workspace_root])]
    inside = tuple(folder.rstrip(os.sep) + os.sep for folder in folders)
    resolved_parents: dict[str, str] = {}
    kept: list[str] = []
    for raw in paths:
        path = normalize(raw)
        if path in folders or path.startswith(inside):
            kept.append(path)
            continue
        parent, name = os.path.split(path)
        real_parent = resolved_parents.get(parent)
        if real_parent is None:
            real_parent = resolved_parents[parent] = os.path.realpath(parent)
        real = os.path.join(real_parent, name)
        if real in folders or real.startswith(inside):
            kept.append(real)
    return cost_state(app).cache.invalidate(kept) if kept else 0


def watcher_registered(app: KeelApp) -> None:
    """The client now reports file changes: a warm estimate may trust them instead of stat-ing."""
    cost_state(app).cache.set_watching(True)
