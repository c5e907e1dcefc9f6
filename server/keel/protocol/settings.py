"""Settings as they arrive in initializationOptions.settings or didChangeConfiguration.

Every value has bounds that keep the server working: an absurd value (a 100 GB
file cap, a NUL in a folder name) is refused here, by name, instead of
breaking an analysis or the history database later. docs/configuration.md
lists the bounds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from .base import WireModel
from .budget import BudgetSettings
from .reliability import AlertSettings, ModelsSettings

Tier = Literal["cheap", "capable", "premium"]

DAY_MS = 86_400_000
MAX_PATH_CHARS = 4096
MAX_ADVISOR_FILE_BYTES = 64 * 1024 * 1024
MAX_STORAGE_BYTES = 1 << 40  # 1 TiB
MAX_RETENTION_DAYS = 36_500


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# A path or URL a person typed: bounded, and never holding a NUL (no file system accepts one).
# "" stays allowed where it always meant "unset" (editors send "" for an empty string setting).
PathText = Annotated[str, Field(max_length=MAX_PATH_CHARS), AfterValidator(_no_nul)]
DeadlineMs = Annotated[int | None, Field(default=None, gt=0, le=DAY_MS)]
ModelName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]


class SettingsModel(WireModel):
    # Settings are user-written: a misspelt key is reported, not silently kept.
    model_config = ConfigDict(extra="forbid")


class TimeoutSettings(SettingsModel):
    health_ms: DeadlineMs = None
    preflight_ms: DeadlineMs = None
    list_workflows_ms: DeadlineMs = None
    estimate_cost_ms: DeadlineMs = None
    run_workflow_ms: DeadlineMs = None
    cancel_run_ms: DeadlineMs = None
    analyze_ms: DeadlineMs = None
    generate_fix_ms: DeadlineMs = None
    runs_ms: DeadlineMs = None
    report_ms: DeadlineMs = None
    validate_models_ms: DeadlineMs = None
    run_findings_ms: DeadlineMs = None


class TierModels(SettingsModel):
    cheap: ModelName | None = None
    capable: ModelName | None = None
    premium: ModelName | None = None


class ProviderSettings(SettingsModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["anthropic", "openai", "offline"]
    base_url: Annotated[PathText, Field(min_length=1)] | None = None
    api_key_env: str | None = Field(default=None, max_length=256,
                                    pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    models: TierModels | None = None
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0,
        description="Sampling temperature sent with every request; unset: not sent (the "
                    "model's default), and never sent to models that reject it (reasoning "
                    "models).")


class StorageSettings(SettingsModel):
    dir: PathText | None = None
    retention_days: int | None = Field(default=None, ge=1, le=MAX_RETENTION_DAYS)
    max_bytes: int | None = Field(default=None, ge=1024 * 1024, le=MAX_STORAGE_BYTES)


class AdvisorThresholds(SettingsModel):
    max_function_lines: int = Field(default=50, ge=1, le=100_000)
    max_complexity: int = Field(default=10, ge=1, le=10_000)
    max_nesting: int = Field(default=4, ge=1, le=1_000)
    max_parameters: int = Field(default=5, ge=0, le=1_000)
    max_class_lines: int = Field(default=300, ge=1, le=1_000_000)
    max_class_methods: int = Field(default=20, ge=1, le=10_000)
    min_duplicate_lines: int = Field(default=6, ge=2, le=10_000)
    max_boolean_operands: int = Field(default=4, ge=2, le=1_000)
    max_returns: int = Field(default=6, ge=1, le=1_000)


class AdvisorSettings(SettingsModel):
    diagnostics: bool = True
    max_file_bytes: int = Field(default=2 * 1024 * 1024, ge=1, le=MAX_ADVISOR_FILE_BYTES)
    thresholds: AdvisorThresholds = Field(default_factory=AdvisorThresholds)
    rules: dict[Annotated[str, Field(min_length=1, max_length=64)], bool] = Field(
        default_factory=dict, max_length=500,
        description="Rule id (e.g. 'unused-import') or ruff code (e.g. 'F401') -> false to "
        "turn the rule off, true to keep it on.")
    exclude: list[PathText] = Field(
        default_factory=list, max_length=500,
        description="gitignore-style patterns, relative to the workspace folder (or the "
        "pyproject.toml), of files the advisor does not analyse, e.g. 'tests/'.")


class TelemetrySettings(SettingsModel):
    otlp_endpoint: PathText | None = None


class Settings(SettingsModel):
    timeouts: TimeoutSettings = Field(default_factory=TimeoutSettings)
    providers: list[ProviderSettings] = Field(default_factory=list, max_length=32)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    advisor: AdvisorSettings = Field(default_factory=AdvisorSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    models: ModelsSettings = Field(default_factory=ModelsSettings)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)


class InitializationOptions(WireModel):
    settings: dict[str, Any] | None = None
    # Trust is the client's to grant: a client that does not say (or a web page speaking for
    # one) gets an untrusted workspace, whose .keel/workflows.toml is not used.
    workspace_trusted: bool = False
    client_name: str | None = None
