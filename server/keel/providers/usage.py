"""Token usage as each API reports it, and its cost by that provider's rules.

Anthropic reports ``input_tokens`` WITHOUT the cached part, and the cached part
beside it: ``cache_creation_input_tokens`` (written, 1.25x the input price for
the 5-minute cache, 2x for the 1-hour one, split in ``cache_creation``) and
``cache_read_input_tokens`` (0.1x). OpenAI reports ``prompt_tokens`` WITH the
cached part, which ``prompt_tokens_details.cached_tokens`` names (the model's
cached-input price; 0.5x where the table has none). ``Completion.input_tokens``
is always every prompt token, so estimates calibrate against what was sent.

Service tiers: ``batch`` (Anthropic) and ``flex`` (OpenAI) cost half; a
``priority`` answer is priced at the standard rate and flagged estimated, since
its price is per contract or per model and not in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .base import Completion
from .registry import ModelInfo

CACHE_WRITE_5M = Decimal("1.25")
CACHE_WRITE_1H = Decimal("2")
CACHE_READ_DEFAULT = {"anthropic": Decimal("0.1"), "openai": Decimal("0.5")}
HALF_PRICE_TIERS = frozenset({"batch", "flex"})
UNPRICED_TIERS = frozenset({"priority"})
_MTOK = Decimal(1_000_000)


@dataclass(frozen=True)
class Usage:
    input_tokens: int  # every prompt token, cached ones included
    output_tokens: int
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    service_tier: str | None = None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def anthropic_usage(usage: dict[str, Any], service_tier: Any = None) -> Usage | None:
    """None when the answer carries no usable counts."""
    fresh, out = usage.get("input_tokens"), usage.get("output_tokens")
    if not isinstance(fresh, int) or not isinstance(out, int):
        return None
    write, read = _int(usage.get("cache_creation_input_tokens")), _int(
        usage.get("cache_read_input_tokens"))
    split = usage.get("cache_creation")
    write_1h = _int(split.get("ephemeral_1h_input_tokens")) if isinstance(split, dict) else 0
    tier = usage.get("service_tier") or service_tier
    return Usage(max(0, fresh) + write + read, max(0, out), write, min(write_1h, write), read,
                 tier if isinstance(tier, str) else None)


def openai_usage(usage: dict[str, Any], service_tier: Any = None) -> Usage | None:
    prompt, out = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(out, int):
        return None
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return Usage(max(0, prompt), max(0, out), cache_read_tokens=min(cached, max(0, prompt)),
                 service_tier=service_tier if isinstance(service_tier, str) else None)


def price_completion(model: ModelInfo, completion: Completion) -> tuple[float, bool]:
    """USD for what ``completion`` reports, and whether that figure is an estimate
    (usage missing and estimated from text, or a tier whose price is not known)."""
    inp, out = Decimal(str(model.input_usd_per_mtok)), Decimal(str(model.output_usd_per_mtok))
    if model.cached_input_usd_per_mtok is not None:
        cached = Decimal(str(model.cached_input_usd_per_mtok))
    else:
        cached = inp * CACHE_READ_DEFAULT.get(model.kind, Decimal(1))
    write = completion.cache_write_tokens
    write_1h = min(completion.cache_write_1h_tokens, write)
    read = completion.cache_read_tokens
    fresh = max(0, completion.input_tokens - write - read)
    total = (Decimal(fresh) * inp + Decimal(read) * cached
             + Decimal(write - write_1h) * inp * CACHE_WRITE_5M
             + Decimal(write_1h) * inp * CACHE_WRITE_1H
             + Decimal(completion.output_tokens) * out) / _MTOK
    tier = completion.service_tier
    if tier in HALF_PRICE_TIERS:
        total /= 2
    return float(total), completion.usage_estimated or tier in UNPRICED_TIERS
