"""The provider-conformance harness: one real provider client, the whole fallback chain,
against the chaos server playing a canned reply; counts requests and keeps what the user sees.

The chain is the one the issue reproduced with: profile ``tolerant`` at tier ``capable``
over one provider, so three models (cheap, capable, premium) with 4 attempts each: a
reply that is retried and walked everywhere costs 12 requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keel.chaos import ChaosServer, cases
from keel.chaos.responses import Reply
from keel.errors import KeelError
from keel.protocol.settings import Settings
from keel.providers.base import Completion, CompletionRequest, billed_of
from keel.providers.factory import build_providers
from keel.resilience.breaker import BreakerRegistry
from keel.resilience.fallback import call_with_fallback
from keel.resilience.profiles import plan_fallback_chain
from keel.runtime.clock import FakeClock
from keel.runtime.deadline import Deadline

MODELS = {"cheap": "m-haiku", "capable": "m-sonnet", "premium": "m-opus"}


@dataclass
class Seen:
    requests: int
    sleeps: list[float] = field(default_factory=list)
    code: str | None = None
    transient: bool | None = None
    message: str = ""
    hint: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    text: str | None = None
    answered_by: str | None = None  # the model whose answer was used
    completion: Completion | None = None
    billed: list[Completion] = field(default_factory=list)  # failed attempts still charged

    @property
    def shown(self) -> str:
        return " ".join(p for p in (self.message, self.hint or "") if p)


class _Top:
    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # anthropic | openai
    replies: tuple[Reply, ...]
    v1: bool = True  # openai: baseUrl ends with /v1


def provider_for(case: Case, chaos: ChaosServer):
    if case.kind == "anthropic":
        entry = {"id": "p", "kind": "anthropic", "baseUrl": chaos.base_url}
    else:
        entry = {"id": "p", "kind": "openai",
                 "baseUrl": chaos.openai_base_url if case.v1 else chaos.base_url}
    built = build_providers(Settings.model_validate({"providers": [entry]}),
                            env={"ANTHROPIC_API_KEY": "sk-ant-case-key-123456",
                                 "OPENAI_API_KEY": "sk-case-key-1234567890abcdef"})
    return built.providers[0]


async def play(case: Case, chaos: ChaosServer) -> Seen:
    chaos.reply_with(*case.replies)
    chaos.reset_counters()
    provider = provider_for(case, chaos)
    clock = FakeClock()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    billed: list[Completion] = []

    async def attempt(candidate):
        request = CompletionRequest(system="s", prompt="p", max_output_tokens=64,
                                    model=candidate.model)
        try:
            return await provider.complete(request)
        except KeelError as error:
            spent = billed_of(error)
            if spent is not None:
                billed.append(spent)
            raise

    chain = [(pid, tier, MODELS[tier]) for pid, tier in
             plan_fallback_chain("tolerant", "capable", [provider.id])]
    try:
        outcome = await call_with_fallback(
            chain, attempt, profile="tolerant", breakers=BreakerRegistry(clock=clock),
            sleep=sleep, rng=_Top(), deadline=Deadline(clock.now() + 3600.0, clock))
    except KeelError as error:
        return Seen(chaos.requests_total, sleeps, error.code, error.transient, error.message,
                    error.hint, dict(error.details), billed=billed)
    finally:
        await provider.aclose()
    return Seen(chaos.requests_total, sleeps, text=outcome.value.text, answered_by=outcome.model,
                completion=outcome.value, billed=billed)


CASES = [
    Case("proxy 407 HTML", "openai", (cases.proxy_407(),)),
    Case("proxy HTML page with 200", "openai", (cases.proxy_200_html(),)),
    Case("429 HTML, retry-after 5, then ok", "anthropic",
         (cases.html_429(5), cases.ok_anthropic())),
    Case("Ollama without /v1 (404 text/plain)", "openai", (cases.ollama_missing_v1(),), v1=False),
    Case("Ollama model not pulled (404)", "openai", (cases.ollama_model_not_pulled(),)),
    Case("500 x-should-retry: false", "anthropic", (cases.should_retry(500, "false"),)),
    Case("400 x-should-retry: true, then ok", "anthropic",
         (cases.should_retry(400, "true"), cases.ok_anthropic())),
    Case("400 temperature deprecated", "anthropic", (cases.temperature_deprecated(),)),
    Case("400 credit balance too low", "anthropic", (cases.credit_too_low(),)),
    Case("429 insufficient_quota", "openai", (cases.insufficient_quota(),)),
    Case("402 payment required", "openai", (cases.payment_required(),)),
    Case("401 invalid key", "anthropic", (cases.auth_401(),)),
    Case("403 permission", "anthropic", (cases.forbidden_403(),)),
    Case("413 request too large", "anthropic", (cases.too_large_413(),)),
    Case("Anthropic refusal (content [], billed)", "anthropic", (cases.anthropic_refusal(),)),
    Case("Anthropic cut at max_tokens", "anthropic", (cases.anthropic_truncated(),)),
    Case("Anthropic cache write + read usage", "anthropic", (cases.anthropic_cached_usage(),)),
    Case("Anthropic answer without usage", "anthropic", (cases.anthropic_no_usage(),)),
    Case("OpenAI refusal (content null)", "openai", (cases.openai_refusal(),)),
    Case("OpenAI content_filter", "openai", (cases.openai_content_filter(),)),
    Case("OpenAI cut at length", "openai", (cases.openai_truncated(),)),
    Case("OpenAI cached prompt tokens", "openai", (cases.openai_cached_usage(),)),
    Case("OpenAI-compatible answer without usage", "openai", (cases.openai_no_usage(),)),
]
