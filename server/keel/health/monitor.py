"""The health monitor: components, their statuses, and the level derived from them.

Level rule (also in docs/reliability.md):
- ``unhealthy``: the ``analysis`` component is down (nothing can run), or every
  non-disabled component is down;
- ``degraded``: any component is ``degraded`` or ``down``;
- ``healthy``: otherwise (``disabled`` components do not count).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from keel import __version__
from keel.protocol.health import (
    ComponentStatus,
    HealthComponent,
    HealthLevel,
    HealthReport,
    InFlight,
)

from ..runtime.registry import InFlightRegistry
from .components import CORE_COMPONENTS

ORDER = {"ok": 0, "disabled": 0, "degraded": 1, "down": 2}


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ComponentState:
    name: str
    status: ComponentStatus
    detail: str
    since: str
    fix: str | None = None


@dataclass(frozen=True)
class _Part:
    status: ComponentStatus
    detail: str
    fix: str | None


def _combined(parts: dict[str, _Part]) -> tuple[ComponentStatus, str, str | None]:
    """The worst part's status; the details (and fixes) of every part that is not ok."""
    # Worst first; among equals the unnamed part (the component's own) first.
    bad = [p for _, p in sorted(((name, p) for name, p in parts.items() if ORDER[p.status] > 0),
                                key=lambda item: (-ORDER[item[1].status], item[0]))]
    if not bad:
        shown = parts.get("") or next(reversed(parts.values()))
        return shown.status, shown.detail, shown.fix
    fixes = [p.fix for p in bad if p.fix]
    return bad[0].status, "; ".join(p.detail for p in bad), " ".join(fixes) or None


def derive_level(components: list[ComponentState]) -> HealthLevel:
    counted = [c for c in components if c.status != "disabled"]
    if any(c.name == "analysis" and c.status == "down" for c in counted):
        return "unhealthy"
    if counted and all(c.status == "down" for c in counted):
        return "unhealthy"
    if any(c.status in ("degraded", "down") for c in counted):
        return "degraded"
    return "healthy"


def summarize(level: HealthLevel, components: list[ComponentState]) -> str:
    if level == "healthy":
        return "Keel is healthy."
    worst = sorted((c for c in components if c.status in ("degraded", "down")),
                   key=lambda c: -ORDER[c.status])
    parts = [f"{c.name}: {c.detail}" for c in worst]
    return f"{level}: " + "; ".join(parts)


class HealthMonitor:
    def __init__(self, registry: InFlightRegistry | None = None) -> None:
        self._registry = registry or InFlightRegistry()
        self._components: dict[str, ComponentState] = {}
        self._parts: dict[str, dict[str, _Part]] = {}
        self._seq = 0
        self._started = time.monotonic()
        self._listeners: list[Callable[[HealthReport], None]] = []
        now = utc_now_iso()
        for name in CORE_COMPONENTS:
            self._components[name] = ComponentState(name, "ok", "ok", now)

    @property
    def registry(self) -> InFlightRegistry:
        return self._registry

    def subscribe(self, listener: Callable[[HealthReport], None]) -> None:
        self._listeners.append(listener)

    def set(self, name: str, status: ComponentStatus, detail: str, fix: str | None = None, *,
            part: str = "") -> bool:
        """Set a component (or one ``part`` of it); listeners hear of a status or level change.

        A component fed by several sources (``config``: the settings and
        ``.keel/workflows.toml``) keeps one state per part and shows the worst:
        one source turning ``ok`` cannot hide another's problem.
        """
        assert status in ORDER, status
        parts = self._parts.setdefault(name, {})
        parts[part] = _Part(status, detail, fix)
        status, detail, fix = _combined(parts)
        old = self._components.get(name)
        level_before = self.level()
        if old is not None and old.status == status:
            self._components[name] = replace(old, detail=detail, fix=fix)
            return False
        self._components[name] = ComponentState(name, status, detail, utc_now_iso(), fix)
        self._seq += 1
        report = self.report()
        if old is None or old.status != status or report.level != level_before:
            for listener in list(self._listeners):
                listener(report)
        return True

    def part(self, name: str, part: str) -> tuple[ComponentStatus, str] | None:
        """(status, detail) of one part of a component, if it was ever set."""
        found = self._parts.get(name, {}).get(part)
        return None if found is None else (found.status, found.detail)

    def remove(self, name: str) -> None:
        self._parts.pop(name, None)
        if self._components.pop(name, None) is not None:
            self._seq += 1
            report = self.report()
            for listener in list(self._listeners):
                listener(report)

    def component(self, name: str) -> ComponentState | None:
        return self._components.get(name)

    def components(self) -> list[ComponentState]:
        return list(self._components.values())

    def level(self) -> HealthLevel:
        return derive_level(self.components())

    def report(self) -> HealthReport:
        components = self.components()
        level = derive_level(components)
        snapshot = self._registry.snapshot()
        return HealthReport(
            level=level,
            summary=summarize(level, components),
            seq=self._seq,
            version=__version__,
            uptime_ms=int((time.monotonic() - self._started) * 1000),
            in_flight=InFlight(total=snapshot.total, by_method=snapshot.by_method),
            components=[
                HealthComponent(name=c.name, status=c.status, detail=c.detail, since=c.since, fix=c.fix)
                for c in components
            ],
        )
