"""The model registry: which model serves each tier, and what its tokens cost.

Prices are DATA, not facts of nature: providers change them. Each entry says
when it was last checked (``checked``); keep ``MODEL_PRICES`` up to date when a
provider announces a change, and move ``checked`` with it. A model that
settings name but this table does not know is priced at its tier's default
model's price and flagged ``price_known=False``, so cost figures stay usable
and the UI can say "approximate".

Local OpenAI-compatible servers (Ollama, vLLM, LM Studio: ``kind: openai``
with a loopback ``baseUrl``) cost nothing in USD; the offline provider too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from keel.protocol.settings import ProviderSettings, Tier

from .credentials import is_loopback_url

PricingKind = Literal["anthropic", "openai", "local", "offline"]
TIERS: tuple[Tier, ...] = ("cheap", "capable", "premium")
PRICES_CHECKED = "2026-11-01"
PRICES_CHECKED_51 = "2026-12-05"
_MTOK = Decimal(1_000_000)


@dataclass(frozen=True)
class ModelPrice:
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    checked: str = PRICES_CHECKED
    # Cached prompt tokens (OpenAI's cached input, Anthropic's cache read); None: the
    # provider's rule (usage.CACHE_READ_DEFAULT).
    cached_input_usd_per_mtok: float | None = None


# USD per million tokens (standard tier, no caching; the cached-input price where the
# provider lists one per model).
MODEL_PRICES: dict[str, ModelPrice] = {
    # Anthropic
    "claude-haiku-4-5": ModelPrice(1.0, 5.0),
    "claude-sonnet-4-5": ModelPrice(3.0, 15.0),
    "claude-sonnet-4": ModelPrice(3.0, 15.0),
    "claude-opus-4-5": ModelPrice(5.0, 25.0),
    "claude-opus-4-1": ModelPrice(15.0, 75.0),
    "claude-3-5-haiku": ModelPrice(0.8, 4.0),
    # OpenAI
    "gpt-4o-mini": ModelPrice(0.15, 0.60, cached_input_usd_per_mtok=0.075),
    "gpt-4o": ModelPrice(2.5, 10.0, cached_input_usd_per_mtok=1.25),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60, cached_input_usd_per_mtok=0.10),
    "gpt-4.1": ModelPrice(2.0, 8.0, cached_input_usd_per_mtok=0.50),
    "gpt-5-mini": ModelPrice(0.25, 2.0, cached_input_usd_per_mtok=0.025),
    "gpt-5": ModelPrice(1.25, 10.0, cached_input_usd_per_mtok=0.125),
    "gpt-5.1": ModelPrice(1.25, 10.0, PRICES_CHECKED_51, cached_input_usd_per_mtok=0.125),
    "o3": ModelPrice(2.0, 8.0, cached_input_usd_per_mtok=0.50),
    "o4-mini": ModelPrice(1.10, 4.40, cached_input_usd_per_mtok=0.275),
}

TIER_DEFAULTS: dict[PricingKind, dict[Tier, str]] = {
    "anthropic": {"cheap": "claude-haiku-4-5", "capable": "claude-sonnet-4-5",
                  "premium": "claude-opus-4-5"},
    # o3 retires on 2026-12-11 (model_facts): the premium default is its replacement.
    "openai": {"cheap": "gpt-4o-mini", "capable": "gpt-4.1", "premium": "gpt-5.1"},
    "local": {"cheap": "llama3.2:3b", "capable": "qwen2.5-coder:7b",
              "premium": "qwen2.5-coder:32b"},
    "offline": {"cheap": "offline", "capable": "offline", "premium": "offline"},
}

_FREE = ModelPrice(0.0, 0.0)
_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)$")


@dataclass(frozen=True)
class ModelInfo:
    provider_id: str
    kind: str  # the provider's settings kind: anthropic | openai | offline
    model: str
    tier: Tier
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    checked: str
    price_known: bool
    cached_input_usd_per_mtok: float | None = None


def pricing_kind(provider: ProviderSettings) -> PricingKind:
    if provider.kind == "openai" and is_loopback_url(provider.base_url):
        return "local"
    return provider.kind


def known_price(model: str) -> ModelPrice | None:
    """The table's price for ``model``; dated ids (``…-20250929``) share their family's price."""
    return MODEL_PRICES.get(model) or MODEL_PRICES.get(_DATE_SUFFIX.sub("", model))


def resolve_model(provider: ProviderSettings, tier: Tier) -> ModelInfo:
    """The model ``provider`` uses for ``tier`` (settings override first) and its price."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    kind = pricing_kind(provider)
    default_model = TIER_DEFAULTS[kind][tier]
    override = getattr(provider.models, tier, None) if provider.models else None
    model = override or default_model
    price: ModelPrice | None
    if kind in ("local", "offline"):
        price = _FREE
    else:
        price = known_price(model)
    price_known = price is not None
    if price is None:
        price = known_price(default_model) or _FREE
    return ModelInfo(
        provider_id=provider.id,
        kind=provider.kind,
        model=model,
        tier=tier,
        input_usd_per_mtok=price.input_usd_per_mtok,
        output_usd_per_mtok=price.output_usd_per_mtok,
        checked=price.checked,
        price_known=price_known,
        cached_input_usd_per_mtok=price.cached_input_usd_per_mtok,
    )


def price_usd(model: ModelInfo, input_tokens: int, output_tokens: int) -> float:
    """USD for the tokens, computed in decimal so 1,000 × $0.15/Mtok is exactly 0.00015."""
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    total = (
        Decimal(input_tokens) * Decimal(str(model.input_usd_per_mtok))
        + Decimal(output_tokens) * Decimal(str(model.output_usd_per_mtok))
    ) / _MTOK
    return float(total)


def premium_baseline(provider: ProviderSettings, input_tokens: int, output_tokens: int) -> float:
    """What the same tokens would have cost at this provider's premium tier (savings baseline)."""
    return price_usd(resolve_model(provider, "premium"), input_tokens, output_tokens)
