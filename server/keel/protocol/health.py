"""keel/health, keel/healthChanged and keel/preflight."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ParamsModel, WireModel

HealthLevel = Literal["healthy", "degraded", "unhealthy"]
ComponentStatus = Literal["ok", "degraded", "down", "disabled"]
PreflightStatus = Literal["pass", "warn", "fail"]


class HealthParams(ParamsModel):
    while_starting: bool = Field(
        default=False,
        description=("While `keel serve` is still loading, answer at once with a 'starting' report "
                     "(level degraded); the real one follows as keel/healthChanged once loaded. "
                     "Without it, the answer waits for the server to load, and is the starting "
                     "report if 80% of its deadline passes first."))


class InFlight(WireModel):
    total: int = 0
    by_method: dict[str, int] = {}


class HealthComponent(WireModel):
    name: str
    status: ComponentStatus
    detail: str
    since: str
    fix: str | None = None


class HealthReport(WireModel):
    level: HealthLevel
    summary: str
    seq: int
    version: str
    uptime_ms: int
    in_flight: InFlight
    components: list[HealthComponent]
    starting: bool | None = Field(
        default=None,
        description=("True in the report `keel serve` gives while it is still loading "
                     "(health asked with whileStarting); absent once loaded."))


class PreflightParams(ParamsModel):
    network: bool = False


class PreflightCheck(WireModel):
    id: str
    title: str
    status: PreflightStatus
    message: str
    fix: str | None = None
    duration_ms: int


class PreflightReport(WireModel):
    ok: bool
    checks: list[PreflightCheck]
