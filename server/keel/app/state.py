"""KeelApp: the long-lived state of one server process, and the feature state it holds.

Everything a feature keeps for the life of the server is a typed attribute of
the app, declared here. Collaborators a caller may replace (the provider
factory, the CPU runner, the run recorder, the resilience state) are
constructor arguments. What is cheap is built with the app; what comes from a
heavy module (storage, providers, the run engine) is built on first use by
``keel.app.services``, the one place that builds it, so that start-up loads
none of it. Each app owns its breakers, budgets and caches: two apps in one
process (the tests, a CLI beside a server) share nothing. ``aclose`` closes
everything the app owns.

This module is below every operation: it imports nothing else from ``keel.app``
but the ports.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from keel.files import resident_bytes
from keel.protocol.methods import HEALTH_CHANGED
from keel.protocol.settings import Settings
from keel.settings import SettingsLoad, key_env_of, load_settings

from ..health.monitor import HealthMonitor
from ..health.notifier import Coalescer
from ..observability.logging import set_level
from ..observability.redaction import REDACTOR
from ..runtime.registry import InFlightRegistry
from ..runtime.threads import in_thread
from ..runtime.workers import WorkerPool
from .ports import Documents, NoDocuments, Notifier, NullNotifier

if TYPE_CHECKING:
    from keel.advisor.engine import AnalysisOutcome
    from keel.observability.otel import TelemetryHub
    from keel.protocol.health import HealthReport
    from keel.providers.factory import ProviderSet
    from keel.records import RunRecorder
    from keel.resilience import BreakerRegistry
    from keel.scan.cache import EstimateCache
    from keel.spend.guard import SpendGuard
    from keel.storage.reader import HistoryReader
    from keel.storage.recorder import StorageRecorder
    from keel.workflows.runs import RunManager
    from keel.workflows.stages_llm import Resilience

ProviderFactory = Callable[[Settings, Mapping[str, str]], "ProviderSet"]
CpuRunner = Callable[..., Awaitable[Any]]

log = structlog.get_logger(__name__)
# A health detail names this many ignored settings, then counts the rest (a client can send thousands).
SHOWN_PROBLEMS = 5

_CLOSING: set[asyncio.Task[None]] = set()  # retired provider sets being closed


@dataclass
class AdvisorState:
    """keel/analyze's results by content, and the finding ids each version of a document had."""

    cache: OrderedDict[str, AnalysisOutcome] = field(default_factory=OrderedDict)
    # uri → finding ids seen per analysed content hash, newest last (for ContentModified).
    seen: dict[str, OrderedDict[str, str]] = field(default_factory=dict)  # "\nid1\nid2\n"
    cached_findings: int = 0


@dataclass
class InFlightEstimate:
    stop: threading.Event = field(default_factory=threading.Event)
    superseded: bool = False


@dataclass
class CostState:
    """The scan cache that estimates and runs share, and the estimate running per workflow."""

    cache: EstimateCache
    in_flight: dict[str, InFlightEstimate] = field(default_factory=dict)


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


@dataclass(eq=False)  # an app is itself, not its field values (it keys per-app tables)
class KeelApp:
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    notifier: Notifier = field(default_factory=NullNotifier)
    documents: Documents = field(default_factory=NoDocuments)
    workspace_folders: list[Path] = field(default_factory=list)
    workspace_trusted: bool = False  # the server sets it from initialize; the CLI trusts its folder
    client_name: str | None = None
    worker_pool_size: int = 2
    # Replaceable collaborators (tests pass doubles; None → the default, built on first use).
    provider_factory: ProviderFactory | None = None
    run_cpu: CpuRunner | None = None
    recorder: RunRecorder | None = None  # runs and calls go here instead of the history database
    resilience: Resilience | None = None

    def __post_init__(self) -> None:
        self.registry = InFlightRegistry()
        self.monitor = HealthMonitor(self.registry)
        self.settings_load = SettingsLoad(Settings())
        # The same list as bootstrap.WORKER_IMPORTS (the fork server's preload; a test checks).
        self.workers = WorkerPool(self.worker_pool_size, rss_of=resident_bytes, warm_imports=(
            "keel.runtime.worker_entry", "keel.app.analysis_worker", "keel.app.worker_priority"))
        self._health_push: Coalescer[HealthReport] | None = None
        self._settings_hooks: list[Callable[[], None]] = []
        self.advisor = AdvisorState()
        # Started at ``initialized`` (absent in a CLI run with its own recorder).
        self.storage: StorageRecorder | None = None  # keel.app.history_ops.start_storage
        self.telemetry: TelemetryHub | None = None  # keel.app.telemetry.install_telemetry
        self.reliability_started = False  # keel.app.reliability_ops.install_reliability
        # Built on first use, each by its accessor in keel.app.services (heavy modules).
        self.history: HistoryReader | None = None  # history_reader
        self.breakers: BreakerRegistry | None = None  # breakers
        self.provider_lease: ProviderLease | None = None  # provider_lease
        self.runs: RunManager | None = None  # run_manager
        self.cost: CostState | None = None  # cost_state
        self.fallback_recorder: RunRecorder | None = None  # recorder
        self.telemetry_tee: RunRecorder | None = None  # recorder
        self.spend: SpendGuard | None = None  # spend_guard (the budgets' ledger)

    @property
    def settings(self) -> Settings:
        return self.settings_load.settings

    @property
    def workspace_root(self) -> Path:
        return self.workspace_folders[0] if self.workspace_folders else Path.cwd()

    def start_health_push(self) -> None:
        """Push keel/healthChanged on every change, coalesced to one per 250 ms."""
        if self._health_push is None:
            self._health_push = Coalescer(
                lambda report: self.notifier.notify(HEALTH_CHANGED, report.wire()), 0.25
            )
            self.monitor.subscribe(self._health_push.push)

    def apply_settings(self, raw: object, source: str) -> str | None:
        """Load settings; each invalid field falls back alone, config degraded, one message."""
        self.settings_load = load_settings(raw, source)
        problems = self.settings_load.problems
        REDACTOR.watch_env([k for p in self.settings.providers if (k := key_env_of(p))], dict(self.env))
        set_level(self.settings.log_level)
        if problems:
            log.warning("settings partly invalid; the rest is in force", problems=list(problems))
            summary = "; ".join(problems[:SHOWN_PROBLEMS]) + (
                f" (+{len(problems) - SHOWN_PROBLEMS} more)" if len(problems) > SHOWN_PROBLEMS else "")
            self.monitor.set("config", "degraded", f"settings ignored: {summary}",
                             fix="Correct or remove the named settings; every other setting is in force.")
            more = f" (and {len(problems) - 1} more: see Keel's health)" if len(problems) > 1 else ""
            self.notifier.show_message(
                "warning", f"Keel: {problems[0]}{more}. Your other settings are in force.")
        else:
            self.monitor.set("config", "ok", "settings valid")
        for hook in list(self._settings_hooks):
            hook()
        return self.settings_load.problem

    def add_settings_hook(self, hook: Callable[[], None]) -> None:
        self._settings_hooks.append(hook)

    def close(self) -> None:
        """What closes without an event loop: the worker processes (``aclose`` closes all)."""
        self.workers.close()
        if self.spend is not None:
            self.spend.close()

    async def aclose(self, budget_s: float | None = None) -> None:
        """Close everything this app owns; within ``budget_s`` when given, else as each allows.

        Workers die first (killing a process cannot be slow); then, at once, the current
        providers' HTTP connections, the history database (drained for up to 1 s) and the
        telemetry exporter. A step still running when the budget ends is abandoned and
        logged: the editor kills the process tree soon after it asked the server to stop.
        """
        self.close()
        steps: list[Awaitable[object]] = []
        if self.provider_lease is not None:
            steps.append(self.provider_lease.providers.aclose_all())
        if self.storage is not None:
            steps.append(in_thread(self.storage.close, 1.0))
        if self.telemetry is not None:
            steps.append(in_thread(self.telemetry.shutdown, budget_s or 1.0))
        if not steps:
            return
        done, pending = await asyncio.wait([asyncio.ensure_future(s) for s in steps], timeout=budget_s)
        for task in pending:
            task.cancel()
        if pending or any(t.exception() for t in done):
            log.warning("shutdown cleanup did not finish in time")
