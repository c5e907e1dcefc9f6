"""The app's collaborators, each built in one place on first use and kept on the app.

Operations ask here for what they work with (the history reader, the recorder,
the providers, the run manager, the workflow catalog, the shared scan cache)
and never ask each other. Below every operation: it imports only the app's
state and the packages that do the work.

Weight decides what is imported at the top: this module is loaded on the event
loop at ``initialized`` (health components, storage, reliability), so the run
engine (``keel.workflows.runs`` and ``stages_llm``) is imported by the two
accessors that need it, with the first run, in a thread (``keel.app.ops``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from keel.health.config import note_workflows_file
from keel.observability.otel import TelemetryRecorder
from keel.providers.base import Completion
from keel.providers.factory import ProviderSet, build_providers, untrusted_providers
from keel.records import MemoryRecorder, RunRecorder
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.runtime.threads import in_thread
from keel.scan.cache import EstimateCache
from keel.storage.paths import database_path
from keel.storage.reader import HistoryReader
from keel.workflows.definitions import WorkflowCatalog, load_catalog

from .state import CostState, KeelApp, ProviderLease

if TYPE_CHECKING:
    from keel.spend.guard import SpendGuard
    from keel.workflows.engine import RunSpec
    from keel.workflows.runs import RunManager
    from keel.workflows.stages_llm import LlmContext, Resilience


def breakers(app: KeelApp) -> BreakerRegistry:
    """The breakers the runs trip and the health components read: the injected resilience's,
    else the app's own (built without the run engine: health reads them at ``initialized``)."""
    if app.resilience is not None:
        return app.resilience.breakers
    if app.breakers is None:
        app.breakers = BreakerRegistry()
    return app.breakers


def resilience_of(app: KeelApp) -> Resilience:
    """This app's breakers, retry budgets and answer cache (its own: never another app's)."""
    if app.resilience is None:
        from keel.workflows.stages_llm import Resilience

        cache: ResponseCache[Completion] = ResponseCache(256)
        app.resilience = Resilience(breakers(app), BudgetRegistry(), cache)
    if app.resilience.spend is None:  # an injected resilience is capped by the budgets too
        app.resilience.spend = spend_guard(app)
    return app.resilience


def spend_guard(app: KeelApp) -> SpendGuard:
    """The budgets' ledger (shared through its file by every process on the same storage
    folder) and the current ``budgets`` settings; the guard of an injected resilience wins."""
    if app.spend is None:
        from keel.spend.guard import SpendGuard
        from keel.storage.paths import storage_root

        injected = app.resilience.spend if app.resilience is not None else None
        app.spend = injected or SpendGuard(lambda: storage_root(app.settings.storage.dir),
                                           lambda: app.settings.budgets)
    return app.spend


def history_reader(app: KeelApp) -> HistoryReader:
    """The workspace's history; while storage runs, reads report its health (storage down
    → the storage error, never an empty answer). Rebuilt after storage (re)starts."""
    if app.history is None:
        storage = app.storage
        app.history = HistoryReader(database_path(app.workspace_root, app.settings.storage.dir),
                                    health=storage.health if storage is not None else None)
    return app.history


def recorder_of(app: KeelApp) -> RunRecorder:
    """The injected recorder, else storage, else in memory; teed to OpenTelemetry when configured."""
    base = app.recorder or app.storage or app.fallback_recorder
    if base is None:
        base = app.fallback_recorder = MemoryRecorder()
    if app.telemetry is None:
        return base
    tee = app.telemetry_tee
    if not isinstance(tee, TelemetryRecorder) or tee.inner is not base:
        tee = app.telemetry_tee = TelemetryRecorder(base, app.telemetry)
    return tee


def providers_for(app: KeelApp) -> ProviderSet:
    """The app's providers: the configured ones when trusted, none that can send when not.

    The one place a provider set is built for use (see ``keel.app.trust``)."""
    if not app.workspace_trusted:
        return untrusted_providers(app.settings)
    factory = app.provider_factory or build_providers
    return factory(app.settings, app.env)


def provider_lease(app: KeelApp) -> ProviderLease:
    """The current provider set (rebuilt when settings or trust change); callers bump ``users``."""
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
    from keel.workflows.runs import RunManager, now_iso
    from keel.workflows.stages_llm import LlmContext

    def llm_factory(run_id: str, spec: RunSpec, emit) -> LlmContext:
        lease = provider_lease(app)
        lease.users += 1
        return LlmContext(run_id=run_id, workflow=spec.workflow, providers=lease.providers,
                          resilience=resilience_of(app), recorder=recorder_of(app), emit=emit,
                          now_iso=now_iso, release=lease.release)

    app.runs = RunManager(
        notify=app.notifier.notify, progress_sink=app.notifier, llm_factory=llm_factory,
        run_cpu=app.run_cpu or app.workers.run, recorder=lambda: recorder_of(app),
    )
    return app.runs


async def workflow_catalog(app: KeelApp) -> WorkflowCatalog:
    """The workspace's workflows (user file only when trusted); a broken file degrades config."""
    root = app.workspace_root if app.workspace_trusted else None
    catalog = await in_thread(load_catalog, root)
    note_workflows_file(app.monitor, app.notifier.show_message, catalog.problem)
    return catalog


def cost_state(app: KeelApp) -> CostState:
    """The scan cache estimates and runs share (a run's input check fills it for the estimate)."""
    if app.cost is None:
        app.cost = CostState(EstimateCache())
    return app.cost
