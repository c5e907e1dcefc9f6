"""Model-registry health: offline checks, the registry file, and the served-models probe
against a provider double (httpx MockTransport, and the chaos server over real HTTP)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from keel.errors import ConfigError
from keel.protocol.settings import ProviderSettings, Settings, TierModels
from keel.providers import registry, registry_file
from keel.providers.registry_check import (
    check_configured,
    check_freshness,
    check_prices,
    check_served,
    check_tiers,
    models_preflight_check,
    registry_entries,
    validate_models,
)

TODAY = date(2026, 11, 26)
ANTHROPIC = ProviderSettings(id="claude", kind="anthropic")
OPENAI = ProviderSettings(id="gpt", kind="openai")
OLLAMA = ProviderSettings(id="ollama", kind="openai", base_url="http://127.0.0.1:11434/v1")
KEYS = {"ANTHROPIC_API_KEY": "sk-ant-test", "OPENAI_API_KEY": "sk-test"}


@pytest.fixture(autouse=True)
def builtin_registry():
    registry_file.install(None)
    yield
    registry_file.install(None)


def write_registry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_builtin_registry_passes_every_offline_check():
    assert [c.status for c in (check_prices(), check_tiers(),
                               check_configured(Settings(providers=[ANTHROPIC, OPENAI, OLLAMA])),
                               check_freshness(date(2026, 12, 1)))] == ["pass"] * 4


@pytest.mark.parametrize(("entry", "expected"), [
    ("input_usd_per_mtok = 0\noutput_usd_per_mtok = 5", "input price 0.0 is not positive"),
    ("input_usd_per_mtok = 1\noutput_usd_per_mtok = -5", "output price -5.0 is not positive"),
    ("input_usd_per_mtok = 150\noutput_usd_per_mtok = 5", "over $100/Mtok"),
    ("input_usd_per_mtok = 1\noutput_usd_per_mtok = 500", "over $400/Mtok"),
])
def test_prices_must_be_positive_and_plausible(tmp_path, entry, expected):
    registry_file.install(registry_file.load(write_registry(
        tmp_path, f'[prices."model-x"]\n{entry}\nchecked = "2026-11-01"\n')))
    check = check_prices()
    assert check.status == "fail" and expected in check.message and "model-x" in check.message


def test_a_price_older_than_90_days_is_a_warning():
    assert check_freshness(date(2027, 1, 30)).status == "pass"  # 2026-11-01 + 90 days
    check = check_freshness(date(2027, 1, 31))
    assert check.status == "warn" and "91 days ago" in check.message and check.fix


def test_every_tier_of_each_configured_provider_must_resolve():
    odd = ProviderSettings(id="gpt", kind="openai", models=TierModels(premium="gpt-99"))
    check = check_configured(Settings(providers=[ANTHROPIC, odd]))
    assert check.status == "fail" and "gpt.premium: model 'gpt-99' has no price" in check.message


def test_a_tier_default_without_a_price_fails_the_tier_check(tmp_path):
    registry_file.install(registry_file.load(write_registry(
        tmp_path, '[tiers.anthropic]\ncheap = "claude-nonexistent"\n')))
    check = check_tiers()
    assert check.status == "fail" and "tiers.anthropic.cheap" in check.message


def test_the_registry_file_overrides_prices_and_tiers_and_uninstalls_cleanly(tmp_path):
    path = write_registry(tmp_path, """
[prices."claude-haiku-4-5"]
input_usd_per_mtok = 0.9
output_usd_per_mtok = 4.5
checked = 2026-11-20

[prices."claude-new"]
input_usd_per_mtok = 2
output_usd_per_mtok = 9

[tiers.anthropic]
capable = "claude-new"
""")
    registry_file.install(registry_file.load(path))
    info = registry.resolve_model(ANTHROPIC, "capable")
    assert (info.model, info.input_usd_per_mtok, info.price_known) == ("claude-new", 2.0, True)
    cheap = registry.resolve_model(ANTHROPIC, "cheap")
    assert (cheap.input_usd_per_mtok, cheap.checked) == (0.9, "2026-11-20")
    sources = {(e.tier, e.source) for e in registry_entries(Settings(providers=[ANTHROPIC]))}
    assert sources == {("cheap", "file"), ("capable", "file"), ("premium", "builtin")}
    registry_file.install(None)
    assert registry.resolve_model(ANTHROPIC, "capable").model == "claude-sonnet-4-5"
    assert "claude-new" not in registry.MODEL_PRICES
    assert registry.MODEL_PRICES["claude-haiku-4-5"].input_usd_per_mtok == 1.0


@pytest.mark.parametrize(("text", "where"), [
    ('[prices."m"]\ninput_usd_per_mtok = "cheap"\noutput_usd_per_mtok = 1\n',
     "prices.m.input_usd_per_mtok"),
    ('[prices."m"]\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 1\ncheked = "x"\n',
     "prices.m.cheked"),
    ('[prices."m"]\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 1\nchecked = "soon"\n',
     "prices.m.checked"),
    ('[tiers.azure]\ncheap = "x"\n', "tiers.azure"),
    ('[tiers.openai]\nfast = "x"\n', "tiers.openai.fast"),
    ("[prices\n", "<file>"),
    ("[modles]\n", "modles"),
    ('[models."m"]\nretires = "soon"\n', "models.m.retires"),
    ('[models."m"]\nreasoning = "yes"\n', "models.m.reasoning"),
    ('[models."m"]\nsunset = 2027-01-01\n', "models.m.sunset"),
])
def test_a_bad_registry_file_is_a_config_error_naming_the_entry(tmp_path, text, where):
    with pytest.raises(ConfigError) as info:
        registry_file.load(write_registry(tmp_path, text))
    assert info.value.code == "config.registry_invalid"
    assert f"registry.toml: {where}:" in info.value.message and info.value.hint


def test_a_missing_registry_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        registry_file.load(tmp_path / "nope.toml")
    assert info.value.code == "config.registry_unreadable"


def _transport(models: list[str], *, page: int = 1000, status: int = 200):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "no"}})
        if "anthropic-version" in request.headers:
            after = request.url.params.get("after_id")
            start = models.index(after) + 1 if after else 0
            chunk = models[start:start + page]
            return httpx.Response(200, json={"data": [{"id": m} for m in chunk],
                                             "has_more": start + page < len(models),
                                             "last_id": chunk[-1] if chunk else None})
        return httpx.Response(200, json={"object": "list", "data": [{"id": m} for m in models]})

    return httpx.MockTransport(handler), seen


async def test_anthropic_shape_is_paged_and_dated_ids_serve_their_alias():
    served = ["claude-haiku-4-5-20251001", "claude-3-haiku", "claude-sonnet-4-5-20250929",
              "claude-opus-4-5-20251101"]
    transport, seen = _transport(served, page=2)
    check = await check_served(ANTHROPIC, KEYS, transport)
    assert check.status == "pass", check.message
    assert [r.url.params.get("after_id") for r in seen] == [None, "claude-3-haiku"]
    assert seen[0].url.path == "/v1/models" and seen[0].headers["x-api-key"] == "sk-ant-test"


async def test_openai_shape_reports_each_configured_model_it_does_not_serve():
    transport, seen = _transport(["gpt-4o-mini", "o3"])
    check = await check_served(OPENAI, KEYS, transport)
    assert check.status == "fail" and "gpt does not serve 'gpt-4.1'" in check.message
    assert str(seen[0].url) == "https://api.openai.com/v1/models"
    assert seen[0].headers["authorization"] == "Bearer sk-test"


async def test_ollama_needs_no_key_and_its_latest_tags_count():
    transport, seen = _transport(["llama3.2:3b", "qwen2.5-coder:7b", "qwen2.5-coder:32b"])
    check = await check_served(OLLAMA, {}, transport)
    assert check.status == "pass" and str(seen[0].url) == "http://127.0.0.1:11434/v1/models"


@pytest.mark.parametrize(("status", "outcome", "words"), [
    (401, "fail", "rejected the API key"), (404, "warn", "no models list"),
    (503, "warn", "HTTP 503")])
async def test_provider_errors_become_checks_not_exceptions(status, outcome, words):
    transport, _ = _transport([], status=status)
    check = await check_served(OPENAI, KEYS, transport)
    assert check.status == outcome and words in check.message


async def test_an_unreachable_provider_or_a_missing_key_is_a_warning():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    check = await check_served(OPENAI, KEYS, httpx.MockTransport(refuse))
    assert check.status == "warn" and "cannot reach gpt" in check.message
    missing = await check_served(ANTHROPIC, {}, None)
    assert missing.status == "warn" and "ANTHROPIC_API_KEY is not set" in missing.message


async def test_validate_models_over_the_chaos_provider_for_both_api_shapes(chaos):
    chaos.served_models = ["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929",
                           "gpt-4o-mini", "gpt-4.1", "o3"]
    chaos.models_page_size = 2
    settings = Settings(providers=[
        ProviderSettings(id="claude", kind="anthropic", base_url=chaos.base_url),
        # On 127.0.0.1 an OpenAI-compatible provider is "local" (Ollama's defaults): name ours.
        ProviderSettings(id="gpt", kind="openai", base_url=chaos.openai_base_url,
                         models=TierModels(cheap="gpt-4o-mini", capable="gpt-4.1", premium="o3"))])
    report = await validate_models(settings, KEYS, network=True, today=TODAY)
    served = {c.id: (c.status, c.message) for c in report.checks if c.id.startswith("models.served")}
    assert served["models.served:gpt"][0] == "pass"
    assert served["models.served:claude"] == ("fail", "claude does not serve 'claude-opus-4-5'")
    assert report.ok is False and chaos.counts["models"] == 4  # 3 Anthropic pages + 1 OpenAI
    line = await models_preflight_check(settings, KEYS, network=True)
    assert line.id == "models" and line.status == "fail" and "claude-opus-4-5" in line.message


def test_a_registry_path_with_a_nul_is_a_settings_problem_naming_it():
    from keel.settings import load_settings

    load = load_settings({"models": {"registryPath": "reg\x00.toml"}})
    assert load.problem is not None and load.problem.startswith("settings.models.registryPath")
