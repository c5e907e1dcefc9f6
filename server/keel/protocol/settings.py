"""Settings as they arrive in initializationOptions.settings or didChangeConfiguration."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .base import WireModel

Tier = Literal["cheap", "capable", "premium"]


class SettingsModel(WireModel):
    # Settings are user-written: a misspelt key is reported, not silently kept.
    model_config = ConfigDict(extra="forbid")


class TimeoutSettings(SettingsModel):
    health_ms: int | None = Field(default=None, gt=0)
    preflight_ms: int | None = Field(default=None, gt=0)
    list_workflows_ms: int | None = Field(default=None, gt=0)
    estimate_cost_ms: int | None = Field(default=None, gt=0)
    run_workflow_ms: int | None = Field(default=None, gt=0)
    cancel_run_ms: int | None = Field(default=None, gt=0)
    analyze_ms: int | None = Field(default=None, gt=0)
    generate_fix_ms: int | None = Field(default=None, gt=0)
    runs_ms: int | None = Field(default=None, gt=0)
    report_ms: int | None = Field(default=None, gt=0)


class TierModels(SettingsModel):
    cheap: str | None = None
    capable: str | None = None
    premium: str | None = None


class ProviderSettings(SettingsModel):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["anthropic", "openai", "offline"]
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    models: TierModels | None = None


class StorageSettings(SettingsModel):
    dir: str | None = None
    retention_days: int | None = Field(default=None, ge=1)
    max_bytes: int | None = Field(default=None, ge=1024 * 1024)


class AdvisorThresholds(SettingsModel):
    max_function_lines: int = Field(default=50, ge=1)
    max_complexity: int = Field(default=10, ge=1)
    max_nesting: int = Field(default=4, ge=1)
    max_parameters: int = Field(default=5, ge=0)
    max_class_lines: int = Field(default=300, ge=1)
    max_class_methods: int = Field(default=20, ge=1)
    min_duplicate_lines: int = Field(default=6, ge=2)
    max_boolean_operands: int = Field(default=4, ge=2)
    max_returns: int = Field(default=6, ge=1)


class AdvisorSettings(SettingsModel):
    diagnostics: bool = True
    max_file_bytes: int = Field(default=2 * 1024 * 1024, ge=1)
    thresholds: AdvisorThresholds = Field(default_factory=AdvisorThresholds)
    rules: dict[str, bool] = Field(
        default_factory=dict,
        description="Rule id (e.g. 'unused-import') or ruff code (e.g. 'F401') -> false to "
        "turn the rule off, true to keep it on.")
    exclude: list[str] = Field(
        default_factory=list,
        description="gitignore-style patterns, relative to the workspace folder (or the "
        "pyproject.toml), of files the advisor does not analyse, e.g. 'tests/'.")


class TelemetrySettings(SettingsModel):
    otlp_endpoint: str | None = None


class Settings(SettingsModel):
    timeouts: TimeoutSettings = Field(default_factory=TimeoutSettings)
    providers: list[ProviderSettings] = Field(default_factory=list)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    advisor: AdvisorSettings = Field(default_factory=AdvisorSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class InitializationOptions(WireModel):
    settings: dict | None = None
    workspace_trusted: bool = True
    client_name: str | None = None
