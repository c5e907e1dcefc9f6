"""Issue 26 points 1 and 3: each canned real-world answer, through a real provider client and
the whole tolerant fallback chain (3 models, 4 attempts each), against the chaos server.
Every case asserts the requests made and what the user is shown."""

from __future__ import annotations

import pytest

from keel.chaos import cases
from keel.chaos.responses import Reply
from keel.providers.base import CompletionRequest

from .conformance import CASES, Case, play

# name: (requests, sleeps, code, transient, in the message, in the hint)
EXPECTED: dict[str, tuple[int, list[float], str | None, bool | None, str, str]] = {
    "proxy 407 HTML": (1, [], "provider.proxy", False,
                       "(HTTP 407): 407 Proxy Authentication Required", "A proxy answered"),
    "proxy HTML page with 200": (1, [], "provider.proxy", False,
                                 "web page, not the API's JSON: Sign in to the network",
                                 "A proxy answered"),
    "429 HTML, retry-after 5, then ok": (2, [5.0], None, None, "", ""),
    "Ollama without /v1 (404 text/plain)": (1, [], "provider.bad_request", False,
                                            "(HTTP 404): 404 page not found", "add /v1"),
    # Three different models: each one is asked once, none twice.
    "Ollama model not pulled (404)": (3, [], "provider.bad_request", False,
                                      'model "llama3.2" not found',
                                      "Run `ollama pull llama3.2`"),
    "500 x-should-retry: false": (3, [], "provider.server_error", False,
                                  "(HTTP 500): Simulated HTTP 500.", ""),
    "400 x-should-retry: true, then ok": (2, [0.5], None, None, "", ""),
    "400 temperature deprecated": (3, [], "provider.bad_request", False,
                                   "(HTTP 400): `temperature` is deprecated for this model.", ""),
    "400 credit balance too low": (1, [], "provider.billing", False,
                                   "Your credit balance is too low", "Add credit"),
    "429 insufficient_quota": (1, [], "provider.quota_exhausted", False,
                               "You exceeded your current quota", "Raise the limit"),
    "402 payment required": (1, [], "provider.billing", False, "(HTTP 402): Payment Required",
                             "Add credit"),
    "401 invalid key": (1, [], "provider.auth", False, "(HTTP 401): invalid x-api-key",
                        "Check the API key"),
    "403 permission": (1, [], "provider.auth", False, "does not have permission",
                       "Check the API key"),
    "413 request too large": (1, [], "provider.bad_request", False,
                              "Request exceeds the maximum allowed size.", "smaller target"),
    # Issue 26 point 2: a refusal is asked once, not on haiku, sonnet and opus 4 times each.
    "Anthropic refusal (content [], billed)": (1, [], "provider.refused", False,
                                               "declined to answer (stop_reason refusal)",
                                               "does not retry"),
    "OpenAI refusal (content null)": (1, [], "provider.refused", False,
                                      "declined to answer (refusal): I can't help with that",
                                      "does not retry"),
    "OpenAI content_filter": (1, [], "provider.refused", False,
                              "declined to answer (finish_reason content_filter)",
                              "does not retry"),
    # Answers, complete or not, are served by the tier asked for (the caller marks a cut one).
    "Anthropic cut at max_tokens": (1, [], None, None, "", ""),
    "OpenAI cut at length": (1, [], None, None, "", ""),
    "Anthropic cache write + read usage": (1, [], None, None, "", ""),
    "OpenAI cached prompt tokens": (1, [], None, None, "", ""),
    "Anthropic answer without usage": (1, [], None, None, "", ""),
    "OpenAI-compatible answer without usage": (1, [], None, None, "", ""),
}


class LogRecorder:
    """Stands in for the provider module's logger: structlog may have cached the real one
    (cache_logger_on_first_use) before capture_logs could see it."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def __getattr__(self, level: str):
        return lambda event, **kw: self.events.append({"event": event, "level": level, **kw})


@pytest.fixture
def logs(monkeypatch) -> list[dict[str, object]]:
    from keel.providers import http_provider

    recorder = LogRecorder()
    monkeypatch.setattr(http_provider, "log", recorder)
    return recorder.events


def test_every_case_has_an_expectation():
    assert sorted(c.name for c in CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_case_requests_and_what_the_user_sees(case: Case, chaos):
    requests, sleeps, code, transient, said, hint = EXPECTED[case.name]
    seen = await play(case, chaos)
    assert (seen.requests, seen.sleeps, seen.code, seen.transient) == (
        requests, sleeps, code, transient)
    if code is None:
        # Answered by the tier asked for (capable), not by a dearer fallback.
        assert seen.answered_by == "m-sonnet"
        return
    assert said in seen.message
    assert hint in (seen.hint or "")
    assert "could not read" not in seen.message


async def test_the_providers_words_are_in_details_and_the_log(chaos, logs):
    seen = await play(Case("t", "anthropic", (cases.temperature_deprecated(),)), chaos)
    assert seen.details == {"httpStatus": 400,
                            "providerMessage": "`temperature` is deprecated for this model."}
    logged = [e for e in logs if e["event"] == "provider.http_error"]
    assert logged and logged[0]["provider_message"] == seen.details["providerMessage"]


async def test_the_providers_words_are_redacted_and_capped(chaos, logs):
    key = "sk-ant-case-key-123456"  # the key conformance.provider_for configures
    leaky = cases.anthropic_error(
        400, "invalid_request_error",
        f"bad key {key} and Bearer abcdefghijklmnop " + "x" * 1000)
    seen = await play(Case("leak", "anthropic", (leaky,)), chaos)
    said = str(seen.details["providerMessage"])
    assert key not in said and "abcdefghijklmnop" not in said and "[REDACTED]" in said
    assert len(said) <= 300 and said.endswith("…")
    assert any(e["event"] == "provider.http_error" for e in logs)
    assert key not in seen.message and key not in repr(logs)


async def test_an_html_5xx_keeps_its_class_and_is_retried(chaos):
    page = Reply(502, b"<html><title>502 Bad Gateway</title></html>", "text/html")
    seen = await play(Case("502", "anthropic", (page, cases.ok_anthropic())), chaos)
    assert (seen.requests, seen.answered_by) == (2, "m-sonnet")


async def test_truncated_json_is_still_a_transient_bad_response(chaos):
    cut = Reply(200, b'{"id": "msg", "content": [{"type": "te')
    seen = await play(Case("cut", "anthropic", (cut, cases.ok_anthropic())), chaos)
    assert (seen.requests, seen.answered_by) == (2, "m-sonnet")


@pytest.mark.parametrize(("reply", "requests"), [
    (cases.should_retry(500, "false"), 1),  # the official SDKs make 1 request too
    (cases.proxy_407(), 1),
    (cases.ollama_missing_v1(), 1),
    (cases.html_429(5), 4),  # a rate limit is still retried, on its retry-after
])
async def test_one_candidate_with_retries(reply, requests, chaos):
    """One provider, one model, the tolerant profile's 4 attempts: call_with_retry alone."""
    from keel.errors import ProviderError
    from keel.resilience.retry import RetryPolicy, call_with_retry

    from .conformance import provider_for

    chaos.reply_with(reply)
    provider = provider_for(Case("one", "openai", (reply,), v1=False), chaos)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    request = CompletionRequest(system="s", prompt="p", max_output_tokens=8, model="m")
    try:
        with pytest.raises(ProviderError):
            await call_with_retry(lambda: provider.complete(request),
                                  policy=RetryPolicy.with_retries(3), provider=provider.id,
                                  sleep=sleep)
    finally:
        await provider.aclose()
    assert chaos.requests_total == requests
    assert waits == [5.0] * (requests - 1)


async def test_a_refusal_is_logged_with_the_providers_words(chaos, logs):
    seen = await play(Case("refusal", "openai", (cases.openai_refusal(),)), chaos)
    logged = [e for e in logs if e["event"] == "provider.refused"]
    assert logged and logged[0]["provider_message"] == seen.details["providerMessage"]
    assert logged[0]["stop_reason"] == "refusal"
