"""Which rules run, with which thresholds, on which files: settings merged with pyproject.toml.

``[tool.keel.advisor]`` in a project's ``pyproject.toml`` takes the same keys as
the ``advisor`` settings (``rules``, ``exclude``, ``thresholds``; camelCase or
snake_case). Settings the user set explicitly in the editor win over the file;
``rules`` merge key by key and ``exclude`` patterns add up. Pure functions:
``keel.app.advisor_config`` reads the file and matches the ``exclude`` patterns
(the advisor does no I/O).

    [tool.keel.advisor]
    exclude = ["tests/", "docs/conf.py"]
    rules = { "shadowed-builtin" = false, "PLR0911" = false }
    thresholds = { maxReturns = 8 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from keel.errors import ConfigError
from keel.protocol import AdvisorSettings, AdvisorThresholds
from keel.settings_repair import validate_per_field

from .suppress import rule_of


@dataclass(frozen=True)
class AdvisorConfig:
    thresholds: AdvisorThresholds = field(default_factory=AdvisorThresholds)
    disabled: frozenset[str] = frozenset()  # Keel rule ids
    exclude: tuple[str, ...] = ()  # gitignore patterns; matched by keel.app.advisor_config
    # What of [tool.keel.advisor] was ignored, one line each ("pyproject.toml:
    # tool.keel.advisor.rulez: unknown setting (did you mean 'rules'?); ignored").
    problems: tuple[str, ...] = ()
    source: str | None = None  # the pyproject.toml it came from, None without one



def pyproject_table(text: str, where: str = "pyproject.toml") -> dict[str, Any]:
    """The ``[tool.keel.advisor]`` table of a pyproject.toml text ({} when absent)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where} is not valid TOML: {err}.", code="config.invalid",
                           details={"field": where}) from None
    table = data.get("tool", {}).get("keel", {}).get("advisor", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.keel.advisor] in {where} must be a table.",
                           code="config.invalid", details={"field": "tool.keel.advisor"})
    return table


def resolve(settings: AdvisorSettings | None = None, pyproject: dict[str, Any] | None = None,
            where: str = "pyproject.toml") -> AdvisorConfig:
    """The effective configuration: ``pyproject`` (a ``[tool.keel.advisor]`` table) under the
    settings the user set explicitly."""
    settings = settings or AdvisorSettings()
    # Like settings, the table degrades per field: a typo or a bad value is named and
    # dropped, the rest of the project's configuration applies.
    base, dropped = validate_per_field(AdvisorSettings, pyproject or {}, "tool.keel.advisor",
                                       whole_items=frozenset())
    assert isinstance(base, AdvisorSettings)
    explicit = settings.model_fields_set
    thresholds = base.thresholds.model_dump()
    thresholds.update(settings.thresholds.model_dump(exclude_unset=True))
    rules = {**base.rules, **(settings.rules if "rules" in explicit else {})}
    exclude = tuple(base.exclude) + tuple(settings.exclude)
    return AdvisorConfig(
        thresholds=AdvisorThresholds.model_validate(thresholds),
        disabled=frozenset(rule_of(name) for name, on in rules.items() if not on),
        exclude=exclude,
        problems=tuple(f"{where}: {d.line}" for d in dropped),
        source=where if pyproject is not None else None,
    )

