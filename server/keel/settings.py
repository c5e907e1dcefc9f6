"""Settings: defaults, initializationOptions, didChangeConfiguration.

Invalid settings never stop the server, and never cost the user the valid ones:
each failing field is dropped on its own (``keel.settings_repair``) and named in
``SettingsLoad.problems``, which the health monitor turns into a degraded
``config`` component and the server into one ``window/showMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from keel.protocol.methods import METHODS
from keel.protocol.settings import InitializationOptions, ProviderSettings, Settings
from keel.settings_repair import Loc, validate_per_field

DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class SettingsLoad:
    settings: Settings
    # Every field that was dropped, one line each ("settings.advisr: unknown setting (did you
    # mean 'advisor'?); ignored"); the valid rest of the settings is in force.
    problems: tuple[str, ...] = ()

    @property
    def problem(self) -> str | None:
        """The first problem, or None when every setting was valid."""
        return self.problems[0] if self.problems else None


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One line naming the first failing field path and why."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
    if prefix:
        path = f"{prefix}.{path}" if path != "<root>" else prefix
    return f"{path}: {first.get('msg', 'invalid value')}"


def _duplicate_providers(settings: BaseModel, _raw: dict[str, Any]) -> list[tuple[Loc, str]]:
    assert isinstance(settings, Settings)
    seen: set[str] = set()
    duplicates: list[tuple[Loc, str]] = []
    for index, provider in enumerate(settings.providers):
        if provider.id in seen:
            duplicates.append((("providers", index, "id"),
                               f"provider id {provider.id!r} appears twice; the later entry is ignored"))
        seen.add(provider.id)
    return duplicates


def load_settings(raw: Any, source: str = "settings") -> SettingsLoad:
    """Settings from what the client or a file sent; each invalid field falls back on its own.

    An unknown key is ignored and named (with the nearest known key), an invalid value
    takes that field's default, an invalid provider entry is dropped; every valid
    setting, providers above all, stays in force.
    """
    if raw is None:
        return SettingsLoad(Settings())
    if not isinstance(raw, dict):
        return SettingsLoad(Settings(), (f"{source}: expected an object, got {type(raw).__name__}; "
                                         "using the defaults",))
    # VS Code sends its whole section; accept {"keel": {...}} as well as {...}.
    if set(raw) == {"keel"} and isinstance(raw["keel"], dict):
        raw = raw["keel"]
    settings, problems = validate_per_field(Settings, raw, source, _duplicate_providers)
    assert isinstance(settings, Settings)
    return SettingsLoad(settings, tuple(p.line for p in problems))


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
