"""The user's registry file (``models.registryPath``): newer prices and tier models without a release.

A TOML file; every table is optional and overrides the built-in entry of the same name::

    [prices."claude-haiku-4-5"]
    input_usd_per_mtok = 1.0
    output_usd_per_mtok = 5.0
    checked = "2026-11-20"          # when you last checked this price

    [tiers.anthropic]               # anthropic | openai | local | offline
    cheap = "claude-haiku-4-5"

    [models."my-proxy/o3"]          # what a model accepts, and its lifecycle
    reasoning = true                # max_completion_tokens, no temperature
    temperature = false             # the model rejects `temperature`
    deprecated = 2026-06-11
    retires = 2026-12-11
    replacement = "gpt-5.1"

``install`` applies a file to the process-wide registry of ``registry.py`` (its
``MODEL_PRICES`` and ``TIER_DEFAULTS``), in place, so every reader — estimates,
runs, reports — sees the same prices; ``install(None)`` restores the built-ins.
The registry is one table per process by design (prices are facts about the
world, not about a request), so this is the one place that changes it.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from keel.errors import ConfigError
from keel.protocol.settings import Tier

from . import model_facts, registry
from .model_facts import ModelFacts
from .registry import ModelPrice, PricingKind

MAX_FILE_BYTES = 1024 * 1024
_BUILTIN_PRICES = dict(registry.MODEL_PRICES)
_BUILTIN_TIERS = copy.deepcopy(registry.TIER_DEFAULTS)


@dataclass(frozen=True)
class RegistryFile:
    path: str
    prices: dict[str, ModelPrice] = field(default_factory=dict)
    tiers: dict[PricingKind, dict[Tier, str]] = field(default_factory=dict)
    models: dict[str, ModelFacts] = field(default_factory=dict)


def _problem(path: Path, where: str, why: str) -> ConfigError:
    return ConfigError(f"{path.name}: {where}: {why}", code="config.registry_invalid",
                       hint="Correct the named entry of the file set in models.registryPath.",
                       details={"field": where})


def _price(path: Path, model: str, raw: Any) -> ModelPrice:
    where = f"prices.{model}"
    if not isinstance(raw, dict):
        raise _problem(path, where, "expected a table")
    unknown = set(raw) - {"input_usd_per_mtok", "output_usd_per_mtok", "checked",
                          "cached_input_usd_per_mtok"}
    if unknown:
        raise _problem(path, f"{where}.{sorted(unknown)[0]}", "unknown key")
    values = []
    for key in ("input_usd_per_mtok", "output_usd_per_mtok"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _problem(path, f"{where}.{key}", "expected a number of USD per million tokens")
        values.append(float(value))
    checked = raw.get("checked", date.today().isoformat())
    if isinstance(checked, date):
        checked = checked.isoformat()
    try:
        date.fromisoformat(str(checked))
    except ValueError:
        raise _problem(path, f"{where}.checked", "expected a date like 2026-11-20") from None
    cached = raw.get("cached_input_usd_per_mtok")
    if cached is not None and (isinstance(cached, bool) or not isinstance(cached, int | float)):
        raise _problem(path, f"{where}.cached_input_usd_per_mtok",
                       "expected a number of USD per million tokens")
    return ModelPrice(values[0], values[1], str(checked),
                      float(cached) if cached is not None else None)


_FLAGS = ("reasoning", "temperature")
_DATES = ("deprecated", "retires")


def _facts(path: Path, model: str, raw: Any) -> ModelFacts:
    where = f"models.{model}"
    if not isinstance(raw, dict):
        raise _problem(path, where, "expected a table")
    unknown = set(raw) - {*_FLAGS, *_DATES, "replacement"}
    if unknown:
        raise _problem(path, f"{where}.{sorted(unknown)[0]}", "unknown key")
    given: dict[str, Any] = {}
    for key in _FLAGS:
        if key in raw and not isinstance(raw[key], bool):
            raise _problem(path, f"{where}.{key}", "expected true or false")
    for key in _DATES:
        if key in raw:
            value = raw[key]
            try:
                given[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
            except ValueError:
                raise _problem(path, f"{where}.{key}", "expected a date like 2026-12-11") from None
    replacement = raw.get("replacement")
    if replacement is not None and (not isinstance(replacement, str) or not replacement):
        raise _problem(path, f"{where}.replacement", "expected a model id")
    base = model_facts.builtin_facts(model)  # the family's capabilities unless the file says
    reasoning = raw.get("reasoning", base.reasoning)
    return replace(base, reasoning=reasoning, temperature=raw.get("temperature", not reasoning),
                   replacement=replacement or base.replacement, source="file", **given)


def _kind(path: Path, kind: str) -> PricingKind:
    known = next((k for k in registry.TIER_DEFAULTS if k == kind), None)
    if known is None:
        raise _problem(path, f"tiers.{kind}", "unknown provider kind (anthropic, openai, "
                                               "local, offline)")
    return known


def _tiers(path: Path, kind: str, raw: Any) -> dict[Tier, str]:
    if not isinstance(raw, dict):
        raise _problem(path, f"tiers.{kind}", "expected a table")
    for tier, model in raw.items():
        if tier not in registry.TIERS:
            raise _problem(path, f"tiers.{kind}.{tier}", "unknown tier (cheap, capable, premium)")
        if not isinstance(model, str) or not model:
            raise _problem(path, f"tiers.{kind}.{tier}", "expected a model id")
    return {tier: raw[tier] for tier in registry.TIERS if tier in raw}


def load(path: Path) -> RegistryFile:
    """Read and check a registry file; ``ConfigError`` names the file and the entry."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _problem(path, "<file>", f"larger than {MAX_FILE_BYTES} bytes")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the registry file {path.name}: {exc.strerror or exc}",
                          code="config.registry_unreadable",
                          hint="Fix models.registryPath or the file's permissions.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _problem(path, "<file>", f"not valid TOML ({exc})") from None
    unknown = set(data) - {"prices", "tiers", "models"}
    if unknown:
        raise _problem(path, sorted(unknown)[0], "unknown table (prices, tiers, models)")
    prices = {m: _price(path, m, raw) for m, raw in data.get("prices", {}).items()}
    tiers = {_kind(path, k): _tiers(path, k, raw) for k, raw in data.get("tiers", {}).items()}
    models = {m: _facts(path, m, raw) for m, raw in data.get("models", {}).items()}
    return RegistryFile(str(path), prices, tiers, models)


_installed: RegistryFile | None = None


def install(file: RegistryFile | None) -> None:
    """Make ``file`` (over the built-ins) the process's registry; None: built-ins only."""
    global _installed
    prices = {**_BUILTIN_PRICES, **(file.prices if file else {})}
    for model in [m for m in registry.MODEL_PRICES if m not in prices]:
        registry.MODEL_PRICES.pop(model, None)
    registry.MODEL_PRICES.update(prices)
    for kind, builtin in _BUILTIN_TIERS.items():
        registry.TIER_DEFAULTS[kind].update({**builtin, **(file.tiers.get(kind, {}) if file else {})})
    model_facts.install(file.models if file else None)
    _installed = file


def installed() -> RegistryFile | None:
    return _installed


def source_of(model: str) -> Literal["builtin", "file"]:
    """Where a price comes from: ``file`` (the user's registry file) or ``builtin``."""
    return "file" if _installed is not None and model in _installed.prices else "builtin"
