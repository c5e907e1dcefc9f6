"""KeelApp: the long-lived state of one server process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from keel.files import resident_bytes
from keel.protocol.settings import Settings
from keel.settings import SettingsLoad, key_env_of, load_settings

from ..health.monitor import HealthMonitor
from ..health.notifier import Coalescer
from ..observability.logging import set_level
from ..observability.redaction import REDACTOR
from ..runtime.registry import InFlightRegistry
from ..runtime.workers import WorkerPool
from .ports import Documents, NoDocuments, Notifier, NullNotifier

log = structlog.get_logger(__name__)

HEALTH_CHANGED = "keel/healthChanged"


@dataclass
class KeelApp:
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    notifier: Notifier = field(default_factory=NullNotifier)
    documents: Documents = field(default_factory=NoDocuments)
    workspace_folders: list[Path] = field(default_factory=list)
    workspace_trusted: bool = True
    client_name: str | None = None
    worker_pool_size: int = 2

    def __post_init__(self) -> None:
        self.registry = InFlightRegistry()
        self.monitor = HealthMonitor(self.registry)
        self.settings_load = SettingsLoad(Settings())
        self.workers = WorkerPool(self.worker_pool_size, warm_imports=("keel.app.analysis_worker",),
                                  rss_of=resident_bytes)
        self._health_push: Coalescer | None = None
        self.extensions: dict[str, object] = {}  # feature state (caches, run manager, storage)

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
        for hook in list(self.extensions.get("settings_hooks", [])):  # type: ignore[union-attr]
            hook()
        return problem

    def add_settings_hook(self, hook) -> None:
        self.extensions.setdefault("settings_hooks", []).append(hook)  # type: ignore[union-attr]

    def close(self) -> None:
        self.workers.close()
