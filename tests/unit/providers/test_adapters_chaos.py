"""The real anthropic and openai SDK clients, through our adapters, against the chaos server."""

from __future__ import annotations

import anyio
import pytest
from structlog.testing import capture_logs

from keel.chaos import ChaosServer, Fault, Schedule
from keel.errors import ProviderError
from keel.protocol.settings import Settings
from keel.providers.base import Completion, CompletionRequest
from keel.providers.factory import build_providers

CANARY = "sk-canary-0d4c1b9e77"
REQUEST = CompletionRequest(system="You review code.", prompt="Summarize this function please.",
                            max_output_tokens=256, temperature=0.2, model="test-model",
                            stage_id="summarize")
# (len("You review code.") + len("Summarize this function please.") + 3) // 4
EXPECTED_INPUT_TOKENS = (16 + 31 + 3) // 4
KINDS = ["anthropic", "openai"]


def provider_for(kind: str, chaos: ChaosServer):
    if kind == "anthropic":
        entry = {"id": "claude", "kind": "anthropic", "baseUrl": chaos.base_url}
    else:
        entry = {"id": "local-gpt", "kind": "openai", "baseUrl": chaos.openai_base_url}
    built = build_providers(Settings.model_validate({"providers": [entry]}),
                            env={"ANTHROPIC_API_KEY": CANARY})
    assert len(built.providers) == 1 and built.providers[0].kind == kind
    return built.providers[0]


async def complete(kind: str, chaos: ChaosServer) -> Completion:
    provider = provider_for(kind, chaos)
    try:
        return await provider.complete(REQUEST)
    finally:
        await provider.aclose()


async def failure(kind: str, chaos: ChaosServer) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await complete(kind, chaos)
    err = caught.value
    assert err.provider == provider_for(kind, chaos).id
    assert CANARY not in str(err) and CANARY not in repr(err.to_error_data())
    return err


@pytest.mark.parametrize("kind", KINDS)
async def test_success_parses_text_usage_and_stop_reason(kind, chaos):
    result = await complete(kind, chaos)
    reply = chaos.schedule.reply_text
    assert result.text == reply
    assert result.input_tokens == EXPECTED_INPUT_TOKENS
    assert result.output_tokens == (len(reply) + 3) // 4
    assert result.model == "test-model"
    assert result.provider == ("claude" if kind == "anthropic" else "local-gpt")
    assert result.stop_reason == ("end_turn" if kind == "anthropic" else "stop")
    assert result.usage_estimated is False
    assert result.latency_ms >= 0


async def test_anthropic_request_carries_system_prompt_and_limits(chaos):
    await complete("anthropic", chaos)
    payload = chaos.history[-1].payload
    assert payload["system"] == REQUEST.system
    assert payload["messages"] == [{"role": "user", "content": REQUEST.prompt}]
    assert (payload["max_tokens"], payload["model"]) == (256, "test-model")
    assert "stream" not in payload or payload["stream"] is False


async def test_openai_compatible_request_uses_classic_parameters(chaos):
    await complete("openai", chaos)
    payload = chaos.history[-1].payload
    assert payload["messages"] == [{"role": "system", "content": REQUEST.system},
                                   {"role": "user", "content": REQUEST.prompt}]
    assert (payload["max_tokens"], payload["temperature"]) == (256, 0.2)


@pytest.mark.parametrize("base_url", [None, "https://llm-proxy.corp.example/v1"])
@pytest.mark.parametrize(("model", "expected"), [
    ("o3", {"max_completion_tokens": 9}),
    ("openai/o4-mini", {"max_completion_tokens": 9}),  # a proxy's prefixed id
    ("gpt-5.1", {"max_completion_tokens": 9}),
    ("gpt-4.1", {"max_tokens": 9}),  # no temperature configured: none sent
])
def test_parameters_follow_the_model_not_the_host(base_url, model, expected):
    """Issue 26 point 4: o3 through a proxy got max_tokens and temperature (chosen by host)."""
    entry = {"id": "o", "kind": "openai", **({"baseUrl": base_url} if base_url else {})}
    built = build_providers(Settings.model_validate({"providers": [entry]}),
                            env={"OPENAI_API_KEY": "k"})
    provider = built.providers[0]
    assert provider._request_kwargs(
        CompletionRequest(system="", prompt="p", max_output_tokens=9, model=model)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_temperature_is_sent_only_when_configured_and_accepted(kind):
    def payload(settings_temperature, model, request_temperature=None):
        entry = {"id": "p", "kind": kind, "temperature": settings_temperature}
        built = build_providers(Settings.model_validate({"providers": [entry]}),
                                env={"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"})
        return built.providers[0]._payload(CompletionRequest(
            system="", prompt="p", max_output_tokens=9, model=model,
            temperature=request_temperature))

    assert "temperature" not in payload(None, "claude-sonnet-4-5")
    assert payload(0.3, "claude-sonnet-4-5")["temperature"] == 0.3
    assert payload(None, "claude-sonnet-4-5", 0.7)["temperature"] == 0.7
    if kind == "openai":
        assert "temperature" not in payload(0.3, "o3")  # the model rejects it


def test_the_registry_file_names_what_a_model_accepts(tmp_path):
    from keel.providers import registry_file

    path = tmp_path / "registry.toml"
    path.write_text('[models."corp-reasoner"]\nreasoning = true\n', encoding="utf-8")
    registry_file.install(registry_file.load(path))
    try:
        built = build_providers(Settings.model_validate(
            {"providers": [{"id": "o", "kind": "openai", "temperature": 0.1}]}),
            env={"OPENAI_API_KEY": "k"})
        assert built.providers[0]._request_kwargs(CompletionRequest(
            system="", prompt="p", max_output_tokens=9, model="corp-reasoner")) == {
            "max_completion_tokens": 9}
    finally:
        registry_file.install(None)


@pytest.mark.parametrize("kind", KINDS)
async def test_rate_limit_is_transient_with_retry_after(kind, chaos):
    chaos.set_schedule(Schedule.always(Fault.RATE_LIMITED, retry_after_s=3))
    err = await failure(kind, chaos)
    assert (err.code, err.transient, err.retry_after_ms) == ("provider.rate_limited", True, 3000)


@pytest.mark.parametrize(("kind", "code"), [("anthropic", "provider.billing"),
                                            ("openai", "provider.quota_exhausted")])
async def test_quota_429_is_billing_or_quota_and_not_transient(kind, code, chaos):
    # Anthropic's says the credit balance is too low (add credit), OpenAI's that the quota
    # is exceeded (raise the limit).
    chaos.set_schedule(Schedule.always(Fault.QUOTA))
    err = await failure(kind, chaos)
    assert (err.code, err.transient) == (code, False)


@pytest.mark.parametrize(
    ("fault", "code", "transient"),
    [
        (Fault.OVERLOADED, "provider.overloaded", True),
        (Fault.SERVER_ERROR, "provider.server_error", True),
        (Fault.UNAVAILABLE, "provider.server_error", True),
        (Fault.MALFORMED, "provider.bad_response", True),
        (Fault.AUTH, "provider.auth", False),
        (Fault.RESET, "provider.connection", True),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_faults_are_classified(kind, fault, code, transient, chaos):
    chaos.set_schedule(Schedule.always(fault))
    err = await failure(kind, chaos)
    assert (err.code, err.transient) == (code, transient)
    assert chaos.counts[fault.value] == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_text_is_a_bad_response(kind, chaos):
    chaos.set_schedule(Schedule(reply_text=""))
    err = await failure(kind, chaos)
    assert (err.code, err.transient) == ("provider.bad_response", True)


@pytest.mark.parametrize("kind", KINDS)
async def test_trickled_answer_still_parses(kind, chaos):
    chaos.set_schedule(Schedule.always(Fault.TRICKLE, trickle_bytes=64, trickle_interval_ms=1))
    result = await complete(kind, chaos)
    assert result.text == chaos.schedule.reply_text


@pytest.mark.parametrize("kind", KINDS)
async def test_provider_down_is_a_connection_error_and_recovers(kind, chaos):
    provider = provider_for(kind, chaos)
    try:
        await chaos.go_down("refuse")
        with pytest.raises(ProviderError) as caught:
            await provider.complete(REQUEST)
        assert (caught.value.code, caught.value.transient) == ("provider.connection", True)
        await chaos.go_up()
        result = await provider.complete(REQUEST)
        assert result.text == chaos.schedule.reply_text
    finally:
        await provider.aclose()


@pytest.mark.parametrize("kind", KINDS)
async def test_hang_is_cut_by_the_callers_deadline(kind, chaos):
    chaos.set_schedule(Schedule.always(Fault.HANG))
    provider = provider_for(kind, chaos)
    try:
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.3):
                await provider.complete(REQUEST)
        assert chaos.counts[Fault.HANG.value] == 1
        # The same client still works once the provider recovers.
        chaos.set_schedule(Schedule.healthy())
        assert (await provider.complete(REQUEST)).text == chaos.schedule.reply_text
    finally:
        await provider.aclose()


async def test_client_is_built_once_and_reused(chaos):
    provider = provider_for("anthropic", chaos)
    try:
        await provider.complete(REQUEST)
        client = provider._client
        await provider.complete(REQUEST)
        assert provider._client is client
        assert chaos.requests_total == 2
    finally:
        await provider.aclose()
    assert provider._client is None


async def test_openai_compatible_server_without_usage_gets_an_estimate(chaos):
    chaos.set_schedule(Schedule(report_usage=False))
    result = await complete("openai", chaos)
    assert result.usage_estimated is True
    assert result.input_tokens == (16 + 3) // 4 + (31 + 3) // 4
    assert result.output_tokens == (len(chaos.schedule.reply_text) + 3) // 4


@pytest.mark.parametrize("fault", [Fault.AUTH, Fault.MALFORMED, Fault.RESET])
async def test_the_key_never_reaches_the_logs(fault, chaos):
    chaos.set_schedule(Schedule.scripted([fault], then=Fault.OK))
    with capture_logs() as logs:
        await failure("anthropic", chaos)
        await complete("anthropic", chaos)
    assert CANARY not in repr(logs)


async def test_warm_builds_the_client_without_calling_the_provider(chaos):
    provider = provider_for("openai", chaos)
    try:
        await provider.warm()
        assert provider._client is not None
        assert chaos.requests_total == 0
    finally:
        await provider.aclose()


async def test_a_keyless_provider_refuses_before_any_request(chaos):
    from keel.protocol.settings import ProviderSettings
    from keel.providers.anthropic_provider import AnthropicProvider
    from keel.providers.credentials import Credentials

    provider = AnthropicProvider(
        ProviderSettings(id="c", kind="anthropic", base_url=chaos.base_url),
        Credentials(None, "ANTHROPIC_API_KEY"))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST)
    assert (caught.value.code, caught.value.transient, caught.value.hint) == (
        "provider.auth", False, "Set ANTHROPIC_API_KEY.")
    assert chaos.requests_total == 0
