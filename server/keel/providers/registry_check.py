"""Model-registry health: is every price plausible and fresh, does every configured tier resolve,
and (with the network allowed) does each provider still serve the models we name?

Backs ``keel models validate``, ``keel/validateModels``, the preflight check
``models`` and the health component ``models``. Offline checks are pure and
fast; ``served_models`` asks a provider ``GET /v1/models`` (Anthropic, and the
OpenAI-compatible APIs, Ollama included) through httpx with a short cap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import date

import httpx

from keel.protocol.health import PreflightCheck, PreflightStatus
from keel.protocol.reliability import ModelsReport, RegistryEntry
from keel.protocol.settings import ProviderSettings, Settings

from . import model_facts, registry, registry_file
from .credentials import CLEAR_TEXT_FIX, resolve_credentials
from .served_models import ServedModelsError, fetch_served_models, is_served

STALE_AFTER_DAYS = 90
# Plausible list prices, USD per million tokens: the dearest model has been $75 output.
MAX_INPUT_USD_PER_MTOK = 100.0
MAX_OUTPUT_USD_PER_MTOK = 400.0
KNOWN_KINDS = ("anthropic", "openai", "local", "offline")
REGISTRY_FIX = "Correct the entry in the registry file (models.registryPath) or in keel.providers."


def _check(id_: str, title: str, problems: list[str], started: float, *, ok: str,
           status: PreflightStatus = "fail", fix: str | None = REGISTRY_FIX) -> PreflightCheck:
    failed = bool(problems)
    shown = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
    return PreflightCheck(id=id_, title=title, status=status if failed else "pass",
                          message=shown if failed else ok, fix=fix if failed else None,
                          duration_ms=int((time.perf_counter() - started) * 1000))


def check_prices() -> PreflightCheck:
    t = time.perf_counter()
    problems = []
    for model, price in sorted(registry.MODEL_PRICES.items()):
        for side, value, cap in (("input", price.input_usd_per_mtok, MAX_INPUT_USD_PER_MTOK),
                                 ("output", price.output_usd_per_mtok, MAX_OUTPUT_USD_PER_MTOK)):
            if not value > 0:
                problems.append(f"{model}: {side} price {value} is not positive")
            elif value > cap:
                problems.append(f"{model}: {side} price ${value}/Mtok is over ${cap:.0f}/Mtok")
    return _check("models.prices", "Model prices positive and plausible", problems, t,
                  ok=f"{len(registry.MODEL_PRICES)} prices are positive and plausible")


def check_tiers() -> PreflightCheck:
    t = time.perf_counter()
    problems = []
    for kind, tiers in registry.TIER_DEFAULTS.items():
        if kind not in KNOWN_KINDS:
            problems.append(f"tiers.{kind}: unknown provider kind")
            continue
        for tier, model in tiers.items():
            if tier not in registry.TIERS:
                problems.append(f"tiers.{kind}.{tier}: unknown tier")
            elif kind in ("anthropic", "openai") and registry.known_price(model) is None:
                problems.append(f"tiers.{kind}.{tier}: default model {model!r} has no price")
        missing = [tier for tier in registry.TIERS if tier not in tiers]
        problems += [f"tiers.{kind}.{tier}: no default model" for tier in missing]
    return _check("models.tiers", "Tier defaults known and priced", problems, t,
                  ok="every provider kind has a priced model for every tier")


def check_configured(settings: Settings) -> PreflightCheck:
    t = time.perf_counter()
    problems = [
        f"{info.provider_id}.{info.tier}: model {info.model!r} has no price "
        f"(priced as its tier default)"
        for provider in settings.providers for info in entries_of(provider)
        if not info.price_known
    ]
    return _check("models.configured", "Every configured tier resolves", problems, t,
                  ok=f"{len(settings.providers)} configured providers resolve every tier")


def check_freshness(today: date) -> PreflightCheck:
    t = time.perf_counter()
    stale, bad = [], []
    for model, price in sorted(registry.MODEL_PRICES.items()):
        try:
            age = (today - date.fromisoformat(price.checked)).days
        except ValueError:
            bad.append(f"{model}: checked date {price.checked!r} is not a date")
            continue
        if age > STALE_AFTER_DAYS:
            stale.append(f"{model}: checked {price.checked} ({age} days ago)")
    if bad:
        return _check("models.freshness", "Prices checked recently", bad, t, ok="")
    return _check("models.freshness", "Prices checked recently", stale, t, status="warn",
                  ok=f"every price was checked within {STALE_AFTER_DAYS} days",
                  fix="Check the providers' price pages and update the registry file "
                      "(models.registryPath) with the prices and today's date.")


def check_lifecycle(settings: Settings, today: date) -> PreflightCheck:
    """A retired configured model fails; one retiring within 30 days warns; both name the
    replacement. Dates: the providers' model lists (``--network``), the registry file, the
    built-in table (model_facts)."""
    t = time.perf_counter()
    retired: list[str] = []
    retiring: list[str] = []
    deprecated: list[str] = []
    seen: set[str] = set()
    for provider in _providers(settings):
        if registry.pricing_kind(provider) in ("local", "offline"):
            continue
        for info in entries_of(provider):
            if info.model in seen:
                continue
            seen.add(info.model)
            found = model_facts.lifecycle_problem(info.model, today)
            if found is not None:
                {"retired": retired, "retiring": retiring, "deprecated": deprecated}[
                    found[0]].append(f"{info.provider_id}.{info.tier}: {found[1]}")
    title = "Configured models are not retired"
    fix = ("Set keel.providers[].models (or [tiers] in the registry file) to the replacement "
           "named; correct a wrong date with [models.\"<id>\"] in the registry file.")
    later = f" (deprecated, later: {'; '.join(deprecated)})" if deprecated else ""
    if retired:
        return _check("models.lifecycle", title, retired + retiring, t, ok="", fix=fix)
    return _check("models.lifecycle", title, retiring, t, status="warn", fix=fix,
                  ok=f"no configured model is retired or retiring within "
                     f"{model_facts.RETIRING_SOON_DAYS} days{later}")


def _providers(settings: Settings) -> list[ProviderSettings]:
    return list(settings.providers) or list(DEFAULT_PROVIDERS)


DEFAULT_PROVIDERS = (
    ProviderSettings(id="anthropic", kind="anthropic"),
    ProviderSettings(id="openai", kind="openai"),
    ProviderSettings(id="ollama", kind="openai", base_url="http://localhost:11434/v1"),
    ProviderSettings(id="offline", kind="offline"),
)


def entries_of(provider: ProviderSettings) -> list[registry.ModelInfo]:
    return [registry.resolve_model(provider, tier) for tier in registry.TIERS]


def registry_entries(settings: Settings) -> list[RegistryEntry]:
    """The registry as ``keel models`` lists it: every tier of every configured provider,
    or of one provider per built-in kind when none is configured."""
    entries = []
    for provider in _providers(settings):
        overridden = provider.models
        for info in entries_of(provider):
            from_settings = overridden is not None and getattr(overridden, info.tier) is not None
            entries.append(RegistryEntry(
                provider=info.provider_id, kind=info.kind, tier=info.tier, model=info.model,
                input_usd_per_mtok=info.input_usd_per_mtok,
                output_usd_per_mtok=info.output_usd_per_mtok, checked=info.checked,
                price_known=info.price_known,
                source="settings" if from_settings else registry_file.source_of(info.model)))
    return entries


def offline_checks(settings: Settings, today: date) -> list[PreflightCheck]:
    return [check_prices(), check_tiers(), check_configured(settings), check_freshness(today),
            check_lifecycle(settings, today)]


async def check_served(provider: ProviderSettings, env: Mapping[str, str],
                       transport: httpx.AsyncBaseTransport | None = None,
                       today: date | None = None) -> PreflightCheck:
    """Ask the provider which models it serves; fail for each configured id it does not."""
    t = time.perf_counter()
    cid, title = f"models.served:{provider.id}", f"Provider {provider.id} serves our models"
    credentials = resolve_credentials(provider, env)
    if provider.kind == "offline":
        return _check(cid, title, [], t, ok="the offline provider needs no models")
    if credentials.refused:
        return _check(cid, title, [f"not checked: {credentials.refused}"], t, ok="",
                      fix=CLEAR_TEXT_FIX)
    if not credentials.present:
        return _check(cid, title, [f"not checked: {credentials.env_name} is not set"], t,
                      ok="", status="warn", fix=f"Set {credentials.env_name} to check.")
    try:
        served = await fetch_served_models(provider, credentials, transport=transport)
    except ServedModelsError as exc:
        return _check(cid, title, [str(exc)], t, ok="", status=exc.status, fix=exc.fix)
    wanted = sorted({info.model for info in entries_of(provider)})
    missing = [m for m in wanted if not is_served(m, served)]
    # A model the list says is retired fails even while the list still names it.
    dead = [found[1] for m in wanted if m not in missing
            and (found := model_facts.lifecycle_problem(m, today or date.today())) is not None
            and found[0] == "retired"]
    return _check(cid, title, [f"{provider.id} does not serve {m!r}" for m in missing] + dead, t,
                  ok=f"{provider.id} serves all {len(wanted)} configured models "
                     f"({len(served)} listed)",
                  fix=f"Set keel.providers[{provider.id}].models to ids the provider lists, "
                      "or pull the model (ollama pull <model>).")


async def validate_models(settings: Settings, env: Mapping[str, str], *, network: bool = False,
                          today: date | None = None,
                          transport: httpx.AsyncBaseTransport | None = None) -> ModelsReport:
    """Every registry check; with ``network``, each provider's served models too."""
    today = today or date.today()
    if network:
        served = [check_served(p, env, transport, today) for p in settings.providers
                  if p.kind != "offline"]
        checks = list(await asyncio.gather(*served))
        # After the lists: the lifecycle check then uses the dates they carried.
        checks = offline_checks(settings, today) + checks
    else:
        checks = offline_checks(settings, today)
    file = registry_file.installed()
    return ModelsReport(ok=all(c.status != "fail" for c in checks),
                        registry_path=file.path if file else None,
                        entries=registry_entries(settings), checks=checks)


async def models_preflight_check(settings: Settings, env: Mapping[str, str],
                                 network: bool = False) -> PreflightCheck:
    """One preflight line for the registry: the worst of the checks, naming what failed."""
    t = time.perf_counter()
    report = await validate_models(settings, env, network=network)
    bad = [c for c in report.checks if c.status == "fail"] or [
        c for c in report.checks if c.status == "warn"]
    if not bad:
        return _check("models", "Model registry", [], t,
                      ok=f"{len(report.checks)} registry checks pass")
    return _check("models", "Model registry", [f"{c.title}: {c.message}" for c in bad], t,
                  ok="", status=bad[0].status, fix=bad[0].fix)
