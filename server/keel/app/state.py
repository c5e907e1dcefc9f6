"""KeelApp: the long-lived state of one server process.

Every piece of state a feature keeps for the life of the server is a typed
attribute here. Collaborators a caller may replace (the provider factory, the
CPU runner, the run recorder, the resilience state) are constructor arguments:
``None`` means "build the default on first use", which keeps the heavy modules
they come from out of start-up. Each app owns its breakers, budgets and caches:
two apps in one process (the tests, a CLI beside a server) share nothing.
"""

from __future__ import annotations

import os
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
from ..runtime.workers import WorkerPool
from .ports import Documents, NoDocuments, Notifier, NullNotifier

if TYPE_CHECKING:
    from keel.observability.otel import TelemetryHub
    from keel.protocol.health import HealthReport
    from keel.providers.factory import ProviderSet
    from keel.records import RunRecorder
    from keel.resilience import BreakerRegistry
    from keel.storage.reader import HistoryReader
    from keel.storage.recorder import StorageRecorder
    from keel.workflows.runs import RunManager
    from keel.workflows.stages_llm import Resilience

    from .advisor_ops import AdvisorState
    from .cost_ops import CostState
    from .run_ops import ProviderLease

ProviderFactory = Callable[[Settings, Mapping[str, str]], "ProviderSet"]
CpuRunner = Callable[..., Awaitable[Any]]

log = structlog.get_logger(__name__)


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
        self.workers = WorkerPool(self.worker_pool_size, warm_imports=("keel.app.analysis_worker",),
                                  rss_of=resident_bytes)
        self._health_push: Coalescer[HealthReport] | None = None
        self._settings_hooks: list[Callable[[], None]] = []
        # Feature state, each set by the module that owns it (see its accessor there).
        self.storage: StorageRecorder | None = None  # app.history_ops.start_storage
        self.history: HistoryReader | None = None  # app.history_ops.history_reader
        self.telemetry: TelemetryHub | None = None  # app.telemetry.install_telemetry
        self.runs: RunManager | None = None  # app.run_ops.run_manager
        self.breakers: BreakerRegistry | None = None  # app.provider_health.breakers
        self.provider_lease: ProviderLease | None = None  # app.run_ops.provider_lease
        self.fallback_recorder: RunRecorder | None = None  # app.run_ops.recorder_of
        self.telemetry_tee: RunRecorder | None = None  # app.run_ops.recorder_of
        self.advisor: AdvisorState | None = None  # app.advisor_ops.advisor_state
        self.cost: CostState | None = None  # app.cost_ops.cost_state
        self.reliability_started = False  # app.reliability_ops.install_reliability

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
        """Load settings; invalid → defaults, config degraded, one message naming the field."""
        self.settings_load = load_settings(raw, source)
        problem = self.settings_load.problem
        REDACTOR.watch_env([k for p in self.settings.providers if (k := key_env_of(p))], dict(self.env))
        set_level(self.settings.log_level)
        if problem:
            log.warning("settings invalid; using defaults", problem=problem)
            self.monitor.set("config", "degraded", f"using default config: {problem}",
                             fix="Correct the named field in your keel settings.")
            self.notifier.show_message("warning", f"Keel: invalid setting {problem}. Using default config.")
        else:
            self.monitor.set("config", "ok", "settings valid")
        for hook in list(self._settings_hooks):
            hook()
        return problem

    def add_settings_hook(self, hook: Callable[[], None]) -> None:
        self._settings_hooks.append(hook)

    def close(self) -> None:
        self.workers.close()
