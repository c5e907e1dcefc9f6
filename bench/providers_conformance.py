"""Benchmark: each provider-conformance case (issue 26) through Keel's own client and, beside
it, the official SDK, against the chaos server playing the API's published shapes.

For every case in ``keel.chaos.cases`` (as ``tests/unit/providers/conformance.py`` plays
them): the requests Keel makes over the whole tolerant fallback chain (3 real models, 4
attempts each, fake clock: no real sleeping), what the user is shown, the cost Keel records
and the list-price cost of what the provider billed (each request's reported usage at that
request's model's list price, cache and cached-token rules applied: computed here from the
price pages, independently of ``keel.providers.usage``).

``--sdk PYTHON`` also plays each case to the official ``anthropic`` / ``openai`` SDK
(default retries: 2) in that interpreter, e.g. a throw-away venv::

    python -m venv /tmp/sdk && /tmp/sdk/bin/pip install anthropic openai
    python bench/providers_conformance.py --sdk /tmp/sdk/bin/python

The cases file is loaded by path, so the same script measures another checkout's client
(``PYTHONPATH=<other>/server``): client features it lacks are reported as absent.
Prints one JSON object per case, then a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import structlog

from keel.chaos import ChaosServer
from keel.errors import KeelError
from keel.protocol.settings import Settings
from keel.providers.base import CompletionRequest
from keel.providers.factory import build_providers
from keel.providers.registry import price_usd, resolve_model
from keel.resilience.breaker import BreakerRegistry
from keel.resilience.fallback import call_with_fallback
from keel.resilience.profiles import plan_fallback_chain
from keel.runtime.clock import FakeClock
from keel.runtime.deadline import Deadline

HERE = Path(__file__).resolve().parent
KEYS = {"ANTHROPIC_API_KEY": "sk-ant-bench-key-123456", "OPENAI_API_KEY": "sk-bench-key-123456"}
# List prices, USD per million tokens: input, output, cached input (the price pages).
LIST = {"claude-haiku-4-5": (1.0, 5.0, 0.1), "claude-sonnet-4-5": (3.0, 15.0, 0.3),
        "claude-opus-4-5": (5.0, 25.0, 0.5), "gpt-4o-mini": (0.15, 0.6, 0.075),
        "gpt-4.1": (2.0, 8.0, 0.5), "gpt-5.1": (1.25, 10.0, 0.125)}
MODELS = {"anthropic": ("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"),
          "openai": ("gpt-4o-mini", "gpt-4.1", "gpt-5.1")}


def _cases_module() -> Any:
    """This checkout's cases, with the running keel's chaos package (Reply)."""
    path = HERE.parent / "server" / "keel" / "chaos" / "cases.py"
    spec = importlib.util.spec_from_file_location("keel.chaos.bench_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case_list(c: Any) -> list[tuple[str, str, tuple[Any, ...], bool]]:
    return [
        ("proxy 407 HTML", "openai", (c.proxy_407(),), True),
        ("429 HTML, retry-after 5, then ok", "anthropic", (c.html_429(5), c.ok_anthropic()), True),
        ("Ollama without /v1 (404 text/plain)", "openai", (c.ollama_missing_v1(),), False),
        ("500 x-should-retry: false", "anthropic", (c.should_retry(500, "false"),), True),
        ("400 temperature deprecated", "anthropic", (c.temperature_deprecated(),), True),
        ("400 credit balance too low", "anthropic", (c.credit_too_low(),), True),
        ("401 invalid key", "anthropic", (c.auth_401(),), True),
        ("Anthropic refusal", "anthropic", (c.anthropic_refusal(),), True),
        ("OpenAI refusal (content null)", "openai", (c.openai_refusal(),), True),
        ("OpenAI content_filter", "openai", (c.openai_content_filter(),), True),
        ("Anthropic cut at max_tokens", "anthropic", (c.anthropic_truncated(),), True),
        ("OpenAI cut at length", "openai", (c.openai_truncated(),), True),
        ("Anthropic cache write + read", "anthropic", (c.anthropic_cached_usage(),), True),
        ("OpenAI 90k of 100k prompt cached", "openai", (c.openai_cached_usage(),), True),
        ("OpenAI-compatible, no usage", "openai", (c.openai_no_usage(),), True),
    ]


def list_usd(model: str, reply: Any) -> float | None:
    """What the provider bills for one answer at list price: 0 for an error status, None for
    an answer without usage (unknown)."""
    if reply.status >= 400:
        return 0.0
    try:
        usage = json.loads(reply.body).get("usage")
    except (ValueError, AttributeError):
        return None
    if not isinstance(usage, dict):
        return None
    inp, out, cached = LIST[model]
    if "prompt_tokens" in usage:  # OpenAI: prompt_tokens includes the cached ones
        hit = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        total = (usage["prompt_tokens"] - hit) * inp + hit * cached \
            + usage["completion_tokens"] * out
    else:  # Anthropic: input_tokens excludes the cache writes (1.25x) and reads (0.1x)
        total = usage["input_tokens"] * inp + usage.get("cache_creation_input_tokens", 0) \
            * inp * 1.25 + usage.get("cache_read_input_tokens", 0) * inp * 0.1 \
            + usage["output_tokens"] * out
    return total / 1e6


def _priced(info: Any, completion: Any) -> float:
    try:
        from keel.providers.usage import price_completion
    except ImportError:  # a client before issue 26: input + output only
        return price_usd(info, completion.input_tokens, completion.output_tokens)
    return price_completion(info, completion)[0]


async def keel_case(kind: str, replies: tuple[Any, ...], v1: bool) -> dict[str, Any]:
    async with ChaosServer() as chaos:
        chaos.reply_with(*replies)
        base = chaos.base_url if kind == "anthropic" or not v1 else chaos.openai_base_url
        entry = {"id": "p", "kind": kind, "baseUrl": base,
                 "models": dict(zip(("cheap", "capable", "premium"), MODELS[kind], strict=True))}
        settings = Settings.model_validate({"providers": [entry]})
        provider = build_providers(settings, env=KEYS).providers[0]
        # Priced as the provider's real API (a loopback baseUrl would price as a free local server).
        real = Settings.model_validate({"providers": [{k: v for k, v in entry.items()
                                                      if k != "baseUrl"}]}).providers[0]
        clock = FakeClock()
        recorded = [0.0]

        async def sleep(seconds: float) -> None:
            clock.advance(seconds)

        async def attempt(candidate: Any) -> Any:
            try:
                return await provider.complete(CompletionRequest(
                    system="s", prompt="p", max_output_tokens=64, model=candidate.model))
            except KeelError as error:
                spent = getattr(error, "billed", None)
                if spent is not None:  # what a run records for a billed failure
                    recorded[0] += _priced(resolve_model(real, candidate.tier), spent)
                raise

        chain = [(pid, tier, resolve_model(settings.providers[0], tier).model)
                 for pid, tier in plan_fallback_chain("tolerant", "capable", [provider.id])]
        shown, truncated, estimated = "", None, None
        try:
            outcome = await call_with_fallback(
                chain, attempt, profile="tolerant", breakers=BreakerRegistry(clock=clock),
                sleep=sleep, deadline=Deadline(clock.now() + 3600.0, clock))
            completion = outcome.value
            recorded[0] += _priced(resolve_model(real, outcome.tier), completion)
            truncated = getattr(completion, "truncated", None)
            estimated = getattr(completion, "usage_estimated", None)
            shown = f"answer from {outcome.model}, stop {completion.stop_reason}" + (
                ", marked truncated" if truncated else "") + (
                ", cost flagged estimated" if estimated else "")
        except KeelError as error:
            shown = f"{error.code}: {error.message}"
        finally:
            await provider.aclose()
        served = [(h.payload.get("model"), replies[min(i, len(replies) - 1)])
                  for i, h in enumerate(chaos.history)]
    billed = [list_usd(m, reply) for m, reply in served if m in LIST]
    return {"requests": len(served), "shown": shown[:160], "recorded_usd": round(recorded[0], 6),
            "list_usd": None if None in billed else round(sum(b for b in billed if b), 6)}


SDK_SCRIPT = r"""
import json, sys
kind, base, model = sys.argv[1:4]
try:
    if kind == "anthropic":
        import anthropic
        client = anthropic.Anthropic(base_url=base, api_key="sk-ant-bench-key-123456")
        m = client.messages.create(model=model, max_tokens=64,
                                   messages=[{"role": "user", "content": "p"}])
        print(json.dumps(f"ok, stop_reason {m.stop_reason}, content blocks {len(m.content)}"))
    else:
        import openai
        client = openai.OpenAI(base_url=base, api_key="sk-bench-key-123456")
        r = client.chat.completions.create(model=model, max_tokens=64,
                                           messages=[{"role": "user", "content": "p"}])
        c = r.choices[0]
        print(json.dumps(f"ok, finish_reason {c.finish_reason}, content "
                         f"{c.message.content!r:.30}, refusal {c.message.refusal!r:.30}"))
except Exception as exc:
    print(json.dumps(f"{type(exc).__name__}: {str(exc)[:100]}"))
"""


async def sdk_case(python: str, kind: str, replies: tuple[Any, ...], v1: bool) -> dict[str, Any]:
    async with ChaosServer() as chaos:
        chaos.reply_with(*replies)
        base = chaos.base_url if kind == "anthropic" or not v1 else chaos.openai_base_url
        proc = await asyncio.create_subprocess_exec(
            python, "-I", "-c", SDK_SCRIPT, kind, base, MODELS[kind][1],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out, _ = await proc.communicate()
        return {"requests": chaos.requests_total, "shown": json.loads(out or b'""')}


async def main(sdk: str | None) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
                        logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    rows = []
    for name, kind, replies, v1 in case_list(_cases_module()):
        try:
            result = await keel_case(kind, replies, v1)
        except Exception as exc:  # an older client without this case's support
            result = {"requests": None, "shown": f"bench error {type(exc).__name__}: {exc}"}
        if sdk:
            result["sdk"] = await sdk_case(sdk, kind, replies, v1)
        print(json.dumps({"case": name, **result}))
        rows.append((name, result))
    print("\n| case | Keel requests | SDK requests | what the user sees | recorded $ | list $ |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        sdk_n = r.get("sdk", {}).get("requests", "–")
        print(f"| {name} | {r['requests']} | {sdk_n} | {r['shown']} | "
              f"{r.get('recorded_usd')} | {r.get('list_usd')} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", help="a Python with the official anthropic and openai SDKs")
    asyncio.run(main(parser.parse_args().sdk))
