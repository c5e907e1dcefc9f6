"""What a model accepts and how long it lives: request capabilities and lifecycle dates.

Request parameters follow the MODEL, never the host: ``o3`` behind a proxy is
still a reasoning model that rejects ``temperature`` and ``max_tokens``.
Families are matched by id prefix (dated snapshots and ``:tag`` suffixes share
their family's facts); the registry file (``[models."id"]``) adds or overrides
entries without a release.

Lifecycle dates are DATA like prices: each entry says where it came from and
when it was checked. A provider's model list carries dates for some models
(OpenAI's ``shutdown_date``); ``served_models`` reads them and they win over
the table. A retired model is an error, one retiring within
``RETIRING_SOON_DAYS`` a warning, both naming the replacement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

RETIRING_SOON_DAYS = 30
LIFECYCLE_CHECKED = "2026-12-05"
_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest|:[\w.-]+)$")


@dataclass(frozen=True)
class ModelFacts:
    reasoning: bool = False  # max_completion_tokens instead of max_tokens
    temperature: bool = True  # accepts a temperature
    deprecated: date | None = None
    retires: date | None = None
    replacement: str | None = None
    source: str = "builtin"  # builtin | file | provider:<id> (its model list)


# OpenAI's reasoning families (o1, o3, o4-mini, gpt-5, gpt-5.1, ...): they take
# max_completion_tokens and reject temperature. A proxy's "openai/o3" is o3 too.
_REASONING = re.compile(r"^(o\d|gpt-5)")


def _dated(deprecated: date | None, retires: date, replacement: str) -> ModelFacts:
    return ModelFacts(deprecated=deprecated, retires=retires, replacement=replacement)


# Lifecycle by undated model id. Dates from the providers' deprecation pages
# (developers.openai.com/api/docs/deprecations, platform.claude.com "Model
# deprecations"), checked LIFECYCLE_CHECKED; correct them in the registry file.
BUILTIN_LIFECYCLE: dict[str, ModelFacts] = {
    "o3": _dated(date(2026, 6, 11), date(2026, 12, 11), "gpt-5.1"),
    "o3-pro": _dated(date(2026, 6, 11), date(2026, 12, 11), "gpt-5.1"),
    "o3-mini": _dated(date(2026, 4, 22), date(2026, 10, 23), "gpt-5.1"),
    "o4-mini": _dated(date(2026, 4, 22), date(2026, 10, 23), "gpt-5.1"),
    "o1": _dated(date(2026, 4, 22), date(2026, 10, 23), "gpt-5.1"),
    "gpt-5": _dated(date(2026, 6, 11), date(2026, 12, 11), "gpt-5.1"),
    "gpt-5-mini": _dated(date(2026, 6, 11), date(2026, 12, 11), "gpt-5.1"),
    "gpt-5-nano": _dated(date(2026, 6, 11), date(2026, 12, 11), "gpt-5.1"),
    "gpt-4o": _dated(date(2026, 10, 14), date(2027, 1, 14), "gpt-5.1"),
    "gpt-4o-mini": _dated(date(2026, 10, 14), date(2027, 1, 14), "gpt-5.1"),
    "gpt-4.1": _dated(date(2026, 10, 14), date(2027, 1, 14), "gpt-5.1"),
    "gpt-4.1-mini": _dated(date(2026, 10, 14), date(2027, 1, 14), "gpt-5.1"),
    "gpt-4": _dated(date(2026, 4, 22), date(2026, 10, 23), "gpt-5.1"),
    "gpt-3.5-turbo": _dated(date(2026, 4, 22), date(2026, 10, 23), "gpt-5.1"),
    "claude-3-5-haiku": _dated(None, date(2026, 2, 19), "claude-haiku-4-5"),
    "claude-3-7-sonnet": _dated(None, date(2026, 2, 19), "claude-sonnet-4-5"),
    "claude-3-opus": _dated(date(2025, 6, 30), date(2026, 1, 5), "claude-opus-4-5"),
    "claude-3-5-sonnet": _dated(None, date(2025, 10, 22), "claude-sonnet-4-5"),
    "claude-sonnet-4": _dated(None, date(2026, 6, 15), "claude-sonnet-4-5"),
    "claude-opus-4": _dated(None, date(2026, 6, 15), "claude-opus-4-5"),
}

_overrides: dict[str, ModelFacts] = {}  # the registry file's [models."id"] tables
_listed: dict[str, ModelFacts] = {}  # dates the providers' model lists reported


def undated(model: str) -> str:
    """``claude-sonnet-4-20250514`` -> ``claude-sonnet-4``; ``openai/o3`` -> ``o3``."""
    return _SUFFIX.sub("", model.rsplit("/", 1)[-1])


def install(overrides: dict[str, ModelFacts] | None) -> None:
    """The registry file's entries (None: none); they beat the built-in table."""
    _overrides.clear()
    _overrides.update(overrides or {})


def record_listed(model: str, retires: date | None, deprecated: date | None = None,
                  replacement: str | None = None, source: str = "provider") -> None:
    """A date read from a provider's model list (GET /v1/models); it beats the tables."""
    base = facts_of(model)
    _listed[model] = replace(base, retires=retires or base.retires,
                             deprecated=deprecated or base.deprecated,
                             replacement=replacement or base.replacement, source=source)


def forget_listed() -> None:
    _listed.clear()


def facts_of(model: str) -> ModelFacts:
    """A listed date first, then the registry file, then the built-in table; capabilities
    from the model family unless the registry file says otherwise."""
    for key in (model, undated(model)):
        for table in (_listed, _overrides):
            if key in table:
                return table[key]
    return builtin_facts(model)


def builtin_facts(model: str) -> ModelFacts:
    """The built-in table and the family rule only (what a registry file starts from)."""
    reasoning = bool(_REASONING.match(undated(model)))
    base = BUILTIN_LIFECYCLE.get(undated(model), ModelFacts())
    return replace(base, reasoning=reasoning, temperature=not reasoning)


Lifecycle = Literal["retired", "retiring", "deprecated"]


def lifecycle_problem(model: str, today: date) -> tuple[Lifecycle, str] | None:
    """``("retired", message)`` past the retirement date, ``("retiring", …)`` within
    ``RETIRING_SOON_DAYS``, ``("deprecated", …)`` when merely deprecated; None when current."""
    facts = facts_of(model)
    instead = f"; use {facts.replacement} instead" if facts.replacement else ""
    if facts.retires is not None and facts.retires <= today:
        return "retired", f"{model} was retired on {facts.retires.isoformat()}{instead}"
    if facts.retires is not None and (facts.retires - today).days <= RETIRING_SOON_DAYS:
        days = (facts.retires - today).days
        return "retiring", (f"{model} retires on {facts.retires.isoformat()} "
                            f"(in {days} days){instead}")
    if facts.deprecated is not None and facts.deprecated <= today:
        when = f", retiring {facts.retires.isoformat()}" if facts.retires else ""
        return "deprecated", f"{model} is deprecated{when}{instead}"
    return None
