"""Settings: defaults, initializationOptions, didChangeConfiguration.

Invalid settings never stop the server: it keeps the defaults and says which
field was wrong (``SettingsLoad.problem``), which the health monitor turns into
a degraded ``config`` component and the server into one ``window/showMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from keel.protocol.methods import METHODS
from keel.protocol.settings import InitializationOptions, ProviderSettings, Settings

DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class SettingsLoad:
    settings: Settings
    problem: str | None = None  # "providers.0.kind: Input should be ..." when invalid


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One line naming the first failing field path and why."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
    if prefix:
        path = f"{prefix}.{path}" if path != "<root>" else prefix
    return f"{path}: {first.get('msg', 'invalid value')}"


def load_settings(raw: Any, source: str = "settings") -> SettingsLoad:
    if raw is None:
        return SettingsLoad(Settings())
    if not isinstance(raw, dict):
        return SettingsLoad(Settings(), f"{source}: expected an object, got {type(raw).__name__}")
    # VS Code sends its whole section; accept {"keel": {...}} as well as {...}.
    if set(raw) == {"keel"} and isinstance(raw["keel"], dict):
        raw = raw["keel"]
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        return SettingsLoad(Settings(), describe_validation_error(exc, source))
    ids = [p.id for p in settings.providers]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        return SettingsLoad(Settings(), f"{source}.providers: provider id {duplicate!r} appears twice")
    return SettingsLoad(settings)


@dataclass(frozen=True)
class OptionsLoad:
    options: InitializationOptions
    raw_settings: Any  # handed to load_settings as sent, so its problems name their field
    problem: str | None = None  # the first invalid option other than ``settings``


def load_initialization_options(raw: Any) -> OptionsLoad:
    """``initialize``'s options; an invalid option falls back (trust to untrusted) and is named.

    ``settings`` is left to :func:`load_settings`, which degrades the config component
    and names the failing settings field.
    """
    source = "initializationOptions"
    if raw is None:
        return OptionsLoad(InitializationOptions(), None)
    if not isinstance(raw, dict):
        return OptionsLoad(InitializationOptions(), None,
                           f"{source}: expected an object, got {type(raw).__name__}")
    raw_settings = raw.get("settings")
    rest = {k: v for k, v in raw.items() if k != "settings"}
    try:  # strict: "yes" is not a boolean on this wire
        return OptionsLoad(InitializationOptions.model_validate(rest, strict=True), raw_settings)
    except ValidationError as exc:
        problem = describe_validation_error(exc, source)
        bad = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
        kept = {k: v for k, v in rest.items() if k not in bad}
        if "workspaceTrusted" in bad:
            kept["workspaceTrusted"] = False  # unknown trust: do not run the workspace's workflows
        return OptionsLoad(InitializationOptions.model_validate(kept), raw_settings, problem)


def key_env_of(provider: ProviderSettings) -> str | None:
    if provider.kind == "offline":
        return None
    return provider.api_key_env or DEFAULT_KEY_ENV[provider.kind]


def configured_deadline_ms(settings: Settings, method: str) -> int | None:
    """The method's deadline: the settings override, else the protocol default."""
    spec = METHODS[method]
    if spec.timeout_setting:
        # No getattr default: a table key that names no setting must fail loudly, not be ignored.
        override = getattr(settings.timeouts, spec.timeout_setting)
        if override is not None:
            return int(override)
    return spec.deadline_ms


def effective_deadline_ms(settings: Settings, method: str, requested_ms: int | None) -> int | None:
    """A request's own ``timeoutMs`` may shorten the configured deadline, never lengthen it."""
    configured = configured_deadline_ms(settings, method)
    if requested_ms is None:
        return configured
    if configured is None:
        return requested_ms
    return min(configured, requested_ms)
