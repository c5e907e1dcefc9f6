from __future__ import annotations

import pytest

from keel.protocol.settings import ProviderSettings, TierModels
from keel.providers.registry import (
    MODEL_PRICES,
    PRICES_CHECKED,
    TIER_DEFAULTS,
    premium_baseline,
    price_usd,
    resolve_model,
)

ANTHROPIC = ProviderSettings(id="claude", kind="anthropic")
OPENAI = ProviderSettings(id="gpt", kind="openai")
OLLAMA = ProviderSettings(id="ollama", kind="openai", base_url="http://localhost:11434/v1")


@pytest.mark.parametrize(
    ("provider", "tier", "model", "price_in", "price_out"),
    [
        (ANTHROPIC, "cheap", "claude-haiku-4-5", 1.0, 5.0),
        (ANTHROPIC, "capable", "claude-sonnet-4-5", 3.0, 15.0),
        (ANTHROPIC, "premium", "claude-opus-4-5", 5.0, 25.0),
        (OPENAI, "cheap", "gpt-4o-mini", 0.15, 0.60),
        (OPENAI, "capable", "gpt-4.1", 2.0, 8.0),
        (OPENAI, "premium", "gpt-5.1", 1.25, 10.0),  # o3 retires 2026-12-11
    ],
)
def test_default_model_and_price_per_tier(provider, tier, model, price_in, price_out):
    info = resolve_model(provider, tier)
    assert (info.model, info.input_usd_per_mtok, info.output_usd_per_mtok) == (
        model, price_in, price_out)
    assert info.provider_id == provider.id
    assert info.kind == provider.kind
    assert info.tier == tier
    assert info.price_known is True
    assert info.checked >= PRICES_CHECKED  # an entry added later carries its own date


def test_every_tier_default_of_a_paid_kind_has_a_price():
    for kind in ("anthropic", "openai"):
        for model in TIER_DEFAULTS[kind].values():
            assert model in MODEL_PRICES, model


def test_settings_override_a_tier_with_a_known_model_uses_its_price():
    provider = ProviderSettings(id="claude", kind="anthropic",
                                models=TierModels(cheap="claude-sonnet-4-5"))
    cheap = resolve_model(provider, "cheap")
    assert (cheap.model, cheap.input_usd_per_mtok, cheap.output_usd_per_mtok) == (
        "claude-sonnet-4-5", 3.0, 15.0)
    assert cheap.price_known is True
    # Tiers that are not overridden keep their default.
    assert resolve_model(provider, "capable").model == "claude-sonnet-4-5"
    assert resolve_model(provider, "premium").model == "claude-opus-4-5"


def test_dated_model_ids_share_their_family_price():
    provider = ProviderSettings(id="c", kind="anthropic",
                                models=TierModels(capable="claude-sonnet-4-5-20250929"))
    info = resolve_model(provider, "capable")
    assert info.model == "claude-sonnet-4-5-20250929"
    assert (info.input_usd_per_mtok, info.price_known) == (3.0, True)


def test_unknown_model_gets_the_tier_default_price_flagged_unknown():
    provider = ProviderSettings(id="gpt", kind="openai", models=TierModels(capable="gpt-9-turbo"))
    info = resolve_model(provider, "capable")
    assert info.model == "gpt-9-turbo"
    assert (info.input_usd_per_mtok, info.output_usd_per_mtok) == (2.0, 8.0)
    assert info.price_known is False


def test_local_openai_compatible_server_is_free_whatever_the_model():
    info = resolve_model(OLLAMA.model_copy(update={"models": TierModels(premium="mixtral")}),
                         "premium")
    assert info.model == "mixtral"
    assert (info.input_usd_per_mtok, info.output_usd_per_mtok, info.price_known) == (0.0, 0.0, True)
    assert resolve_model(OLLAMA, "cheap").model == TIER_DEFAULTS["local"]["cheap"]
    assert resolve_model(OLLAMA, "cheap").kind == "openai"


def test_offline_provider_is_free():
    info = resolve_model(ProviderSettings(id="offline", kind="offline"), "capable")
    assert (info.model, info.input_usd_per_mtok, info.output_usd_per_mtok) == ("offline", 0.0, 0.0)


def test_price_is_exact_decimal_maths():
    cheap = resolve_model(OPENAI, "cheap")  # $0.15 / $0.60 per Mtok
    assert price_usd(cheap, 1_000, 0) == 0.00015
    assert price_usd(cheap, 1_000, 1_000) == 0.00075
    assert price_usd(cheap, 1_000_000, 1_000_000) == 0.75
    capable = resolve_model(ANTHROPIC, "capable")  # $3 / $15
    assert price_usd(capable, 12_345, 678) == 0.047205
    assert price_usd(capable, 0, 0) == 0.0


def test_negative_tokens_are_refused():
    with pytest.raises(ValueError):
        price_usd(resolve_model(OPENAI, "cheap"), -1, 0)


def test_premium_baseline_prices_the_same_tokens_at_premium():
    assert premium_baseline(ANTHROPIC, 10_000, 2_000) == 0.1  # 10k×$5 + 2k×$25 per Mtok
    overridden = ProviderSettings(id="c", kind="anthropic",
                                  models=TierModels(premium="claude-opus-4-1"))
    assert premium_baseline(overridden, 10_000, 2_000) == 0.3  # $15 / $75
    assert premium_baseline(OLLAMA, 10_000, 2_000) == 0.0


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError):
        resolve_model(ANTHROPIC, "luxury")  # type: ignore[arg-type]
