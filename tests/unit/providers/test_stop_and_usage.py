"""Issue 26 points 2 and 5: stop reasons read, refusals typed and billed, usage priced by each
provider's rules (cache writes and reads, cached prompt tokens, service tiers)."""

from __future__ import annotations

import pytest

from keel.chaos import cases
from keel.protocol.settings import ProviderSettings
from keel.providers.base import Completion
from keel.providers.registry import resolve_model
from keel.providers.usage import price_completion
from keel.resilience.classify import fails_alike

from .conformance import Case, play

ANTHROPIC = ProviderSettings(id="a", kind="anthropic")
OPENAI = ProviderSettings(id="o", kind="openai")


def _completion(**kw) -> Completion:
    base = {"text": "t", "input_tokens": 0, "output_tokens": 0, "model": "m", "provider": "p",
            "latency_ms": 1, "stop_reason": "end_turn"}
    return Completion(**{**base, **kw})


async def test_anthropic_cache_usage_is_priced_at_list(chaos):
    """Issue figures: 2,000 cache-write + 50,000 cache-read tokens was charged $0.00101."""
    seen = await play(Case("cache", "anthropic", (cases.anthropic_cached_usage(),)), chaos)
    completion = seen.completion
    assert completion is not None
    assert (completion.input_tokens, completion.cache_write_tokens,
            completion.cache_read_tokens) == (52_010, 2000, 50_000)
    usd, estimated = price_completion(resolve_model(ANTHROPIC, "cheap"), completion)
    # 10 × $1 + 2,000 × $1.25 + 50,000 × $0.10 + 200 × $5, per million
    assert usd == pytest.approx(0.00851) and estimated is False


async def test_openai_cached_prompt_tokens_are_priced_at_the_cached_rate(chaos):
    """Issue figures: 100,000 prompt tokens of which 90,000 cached was charged $0.01512."""
    seen = await play(Case("cached", "openai", (cases.openai_cached_usage(),)), chaos)
    completion = seen.completion
    assert completion is not None and completion.cache_read_tokens == 90_000
    usd, estimated = price_completion(resolve_model(OPENAI, "cheap"), completion)
    # 10,000 × $0.15 + 90,000 × $0.075 + 200 × $0.60, per million
    assert usd == pytest.approx(0.00837) and estimated is False


@pytest.mark.parametrize(("extra", "factor", "estimated"), [
    ({}, 1.0, False),
    ({"service_tier": "batch"}, 0.5, False),
    ({"service_tier": "flex"}, 0.5, False),
    ({"service_tier": "priority"}, 1.0, True),  # its price is not in the registry: flagged
    ({"usage_estimated": True}, 1.0, True),
])
def test_service_tiers_and_missing_usage(extra, factor, estimated):
    model = resolve_model(ANTHROPIC, "cheap")
    usd, flagged = price_completion(model, _completion(input_tokens=1000, output_tokens=100,
                                                       **extra))
    assert usd == pytest.approx(factor * (1000 * 1.0 + 100 * 5.0) / 1e6)
    assert flagged is estimated


def test_a_one_hour_cache_write_costs_twice_the_input_price():
    model = resolve_model(ANTHROPIC, "cheap")
    usd, _ = price_completion(model, _completion(input_tokens=1000, cache_write_tokens=1000,
                                                 cache_write_1h_tokens=1000))
    assert usd == pytest.approx(1000 * 2.0 / 1e6)


def test_hostile_usage_never_prices_below_zero():
    model = resolve_model(OPENAI, "cheap")
    usd, _ = price_completion(model, _completion(input_tokens=10, cache_read_tokens=10_000,
                                                 cache_write_tokens=5))
    assert usd >= 0


@pytest.mark.parametrize(("case", "kind", "billed_tokens"), [
    (cases.anthropic_refusal, "anthropic", (1000, 200)),
    (cases.openai_refusal, "openai", (1000, 12)),
    (cases.openai_content_filter, "openai", (1000, 0)),
])
async def test_a_refusal_is_asked_once_and_its_usage_is_kept(case, kind, billed_tokens, chaos):
    seen = await play(Case("refusal", kind, (case(),)), chaos)
    assert (seen.requests, seen.code, seen.transient) == (1, "provider.refused", False)
    assert [(b.input_tokens, b.output_tokens) for b in seen.billed] == [billed_tokens]
    assert seen.details["stopReason"]


def test_a_refusal_skips_the_providers_other_tiers():
    from keel.providers.http_provider import refused

    assert fails_alike(refused("p", "no", "stop_reason refusal")) == "provider"


async def test_the_refusals_words_are_redacted_and_capped(chaos):
    key = "sk-ant-case-key-123456"
    words = f"I won't repeat {key} " + "y" * 1000
    reply = cases.openai_completion({"content": None, "refusal": words}, "stop",
                                    {"prompt_tokens": 5, "completion_tokens": 5})
    seen = await play(Case("leak", "openai", (reply,)), chaos)
    said = str(seen.details["providerMessage"])
    assert key not in said and key not in seen.message and len(said) <= 300


@pytest.mark.parametrize(("case", "kind", "stop"), [
    (cases.anthropic_truncated, "anthropic", "max_tokens"),
    (cases.openai_truncated, "openai", "length"),
])
async def test_a_cut_answer_is_served_but_marked_truncated(case, kind, stop, chaos):
    seen = await play(Case("cut", kind, (case(),)), chaos)
    assert seen.completion is not None and seen.requests == 1
    assert (seen.completion.stop_reason, seen.completion.truncated) == (stop, True)
    assert seen.completion.text == cases.CUT_TEXT


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
async def test_an_answer_without_usage_is_estimated_and_flagged(kind, chaos):
    reply = cases.anthropic_no_usage() if kind == "anthropic" else cases.openai_no_usage()
    seen = await play(Case("nousage", kind, (reply,)), chaos)
    assert seen.completion is not None and seen.completion.usage_estimated is True
    assert seen.completion.input_tokens > 0
    _, estimated = price_completion(resolve_model(ANTHROPIC, "cheap"), seen.completion)
    assert estimated is True


async def test_an_empty_answer_with_usage_is_billed_and_retried(chaos):
    empty = cases.anthropic_message([], "end_turn", {"input_tokens": 7, "output_tokens": 0})
    seen = await play(Case("empty", "anthropic", (empty, cases.ok_anthropic())), chaos)
    assert (seen.requests, seen.answered_by) == (2, "m-sonnet")
    assert [(b.input_tokens, b.output_tokens) for b in seen.billed] == [(7, 0)]
