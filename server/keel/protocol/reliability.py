"""Reliability metrics, alerts and report warnings in ``UsageReport``; keel/validateModels;
the ``alerts.*`` and ``models.*`` settings.

Rates are fractions (0.05 is 5 %), durations milliseconds. docs/reliability.md
gives each metric's formula, target and default thresholds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from .base import ParamsModel, WireModel
from .health import PreflightCheck

AlertLevel = Literal["warning", "critical"]
MetricUnit = Literal["ratio", "ms"]
MAX_PATH_CHARS = 4096


class _UserSettings(WireModel):
    # As every settings model: a misspelt key is reported, not silently kept.
    model_config = ConfigDict(extra="forbid")


class Threshold(_UserSettings):
    """When a metric where higher is worse alerts: at ``warning``, then at ``critical``."""

    warning: float = Field(ge=0)
    critical: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if self.critical < self.warning:
            raise ValueError("critical must be at least warning")
        return self


class FloorThreshold(_UserSettings):
    """When a metric where lower is worse (success rate) alerts: below ``warning``, ``critical``."""

    warning: float = Field(ge=0, le=1)
    critical: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> FloorThreshold:
        if self.critical > self.warning:
            raise ValueError("critical must be at most warning")
        return self


def _rate(warning: float, critical: float) -> Any:  # a pydantic Field
    return Field(default_factory=lambda: Threshold(warning=warning, critical=critical))


class AlertSettings(_UserSettings):
    success_rate: FloorThreshold = Field(
        default_factory=lambda: FloorThreshold(warning=0.95, critical=0.80))
    timeout_rate: Threshold = _rate(0.05, 0.10)
    fallback_rate: Threshold = _rate(0.10, 0.25)
    config_error_rate: Threshold = _rate(0.05, 0.10)
    request_failure_rate: Threshold = _rate(0.05, 0.15)
    history_write_failure_rate: Threshold = _rate(0.01, 0.05)
    mean_time_to_recovery_ms: Threshold = _rate(60_000, 300_000)
    min_samples: int = Field(default=20, ge=1, le=1_000_000,
                             description="A rate over fewer samples never alerts.")
    window_days: int = Field(default=2, ge=1, le=365,
                             description="Days (UTC, today included) the reliability "
                                         "health component looks at.")


class ModelsSettings(_UserSettings):
    registry_path: str | None = Field(default=None, min_length=1, max_length=MAX_PATH_CHARS,
                                      pattern=r"^[^\x00]*$")


class ReliabilityMetric(WireModel):
    id: str
    title: str
    key: str | None = Field(default=None, description="The method or provider, when per-key.")
    value: float | None = Field(default=None, description="None: nothing to measure yet.")
    unit: MetricUnit = "ratio"
    target: float
    lower_is_better: bool = True
    numerator: int = 0
    denominator: int = 0
    met: bool | None = None


class Alert(WireModel):
    metric: str
    key: str | None = None
    level: AlertLevel
    value: float
    threshold: float
    message: str
    fix: str


class ReportWarning(WireModel):
    code: str
    message: str
    count: int = 0


class ValidateModelsParams(ParamsModel):
    network: bool = Field(default=False,
                          description="Also ask each provider with a key which models it serves.")


class RegistryEntry(WireModel):
    provider: str
    kind: str
    tier: str
    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    checked: str
    price_known: bool
    source: Literal["builtin", "file", "settings"] = "builtin"


class ModelsReport(WireModel):
    ok: bool
    registry_path: str | None = None
    entries: list[RegistryEntry]
    checks: list[PreflightCheck]
