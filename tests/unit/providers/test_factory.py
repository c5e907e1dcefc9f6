from __future__ import annotations

import pytest

from keel.errors import Unavailable
from keel.protocol.settings import Settings
from keel.providers.base import CompletionRequest, Provider
from keel.providers.credentials import LOCAL_PLACEHOLDER_KEY, Secret, is_loopback_url
from keel.providers.factory import build_providers
from keel.providers.offline import OfflineProvider

CANARY = "sk-canary-5f1d2e7a9b"


def settings(*providers: dict) -> Settings:
    return Settings.model_validate({"providers": list(providers)})


def test_no_settings_and_no_key_serves_offline_alone():
    built = build_providers(Settings(), env={})
    assert built.ids == ["offline"]
    assert built.offline is True
    assert isinstance(built.providers[0], OfflineProvider)
    statuses = {s.id: s.status for s in built.statuses}
    assert statuses["anthropic"] == "no key: set ANTHROPIC_API_KEY"
    assert statuses["openai"] == "no key: set OPENAI_API_KEY"
    assert built.status_of("offline").ready is True


def test_no_settings_uses_default_providers_that_have_keys():
    built = build_providers(Settings(), env={"OPENAI_API_KEY": CANARY})
    assert built.ids == ["openai"]
    assert built.offline is False
    assert built.status_of("openai").status == "ready"
    assert built.status_of("anthropic").ready is False


def test_list_order_is_fallback_order_and_keyless_entries_are_left_out():
    built = build_providers(
        settings(
            {"id": "gpt", "kind": "openai"},
            {"id": "claude-b", "kind": "anthropic", "apiKeyEnv": "CLAUDE_B_KEY"},
            {"id": "claude", "kind": "anthropic"},
        ),
        env={"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b"},
    )
    assert built.ids == ["gpt", "claude"]
    assert [s.id for s in built.statuses] == ["gpt", "claude-b", "claude"]
    assert built.status_of("claude-b").status == "no key: set CLAUDE_B_KEY"
    assert built.settings_of("claude").kind == "anthropic"


def test_custom_key_env_is_read():
    built = build_providers(settings({"id": "c", "kind": "anthropic", "apiKeyEnv": "MY_KEY"}),
                            env={"MY_KEY": "x", "ANTHROPIC_API_KEY": ""})
    assert built.ids == ["c"]


def test_blank_key_counts_as_missing():
    built = build_providers(settings({"id": "c", "kind": "anthropic"}),
                            env={"ANTHROPIC_API_KEY": "   "})
    assert built.ids == ["offline"]


@pytest.mark.parametrize("url", ["http://localhost:11434/v1", "http://127.0.0.1:8000/v1",
                                 "http://[::1]:1234/v1"])
def test_local_openai_compatible_server_needs_no_key(url):
    built = build_providers(settings({"id": "ollama", "kind": "openai", "baseUrl": url}), env={})
    assert built.ids == ["ollama"]
    assert built.status_of("ollama").status == "ready (local server, no key needed)"
    assert built.get("ollama").endpoint() == url


def test_remote_openai_compatible_server_still_needs_a_key():
    built = build_providers(
        settings({"id": "vllm", "kind": "openai", "baseUrl": "https://gpu-box.internal:8000/v1"}),
        env={})
    assert built.ids == ["offline"]
    assert built.status_of("vllm").status == "no key: set OPENAI_API_KEY"


def test_explicit_offline_entry_is_not_a_callable_provider():
    built = build_providers(settings({"id": "off", "kind": "offline"},
                                     {"id": "c", "kind": "anthropic"}),
                            env={"ANTHROPIC_API_KEY": "k"})
    assert built.ids == ["c"]
    assert built.status_of("off").ready is False


def test_loopback_detection():
    assert is_loopback_url("http://LOCALHOST:11434")
    assert not is_loopback_url("http://localhost.evil.example")
    assert not is_loopback_url("http://10.0.0.1")
    assert not is_loopback_url(None)


def test_the_key_never_shows_in_reprs_or_statuses():
    built = build_providers(settings({"id": "c", "kind": "anthropic"}),
                            env={"ANTHROPIC_API_KEY": CANARY})
    provider = built.get("c")
    texts = [repr(provider), str(provider), repr(built), repr(built.statuses),
             repr(provider._credentials), str(Secret(CANARY))]
    assert all(CANARY not in text for text in texts)
    assert provider._credentials.key.reveal() == CANARY
    assert LOCAL_PLACEHOLDER_KEY not in repr(provider)


def test_providers_satisfy_the_protocol():
    built = build_providers(settings({"id": "c", "kind": "anthropic"},
                                     {"id": "o", "kind": "openai"}),
                            env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"})
    for provider in [*built.providers, OfflineProvider()]:
        assert isinstance(provider, Provider)
    assert [p.kind for p in built.providers] == ["anthropic", "openai"]
    assert built.get("c").endpoint() == "https://api.anthropic.com"
    assert built.get("o").endpoint() == "https://api.openai.com/v1"


async def test_offline_provider_refuses_with_none_configured():
    offline = build_providers(Settings(), env={}).providers[0]
    request = CompletionRequest(system="", prompt="hi", max_output_tokens=10, model="offline")
    with pytest.raises(Unavailable) as caught:
        await offline.complete(request)
    err = caught.value
    assert (err.code, err.transient, err.error_type) == ("provider.none_configured", False,
                                                         "unavailable")
    assert err.hint == "Set ANTHROPIC_API_KEY or configure a provider in settings.providers"
    assert offline.has_credentials() is False
    assert offline.endpoint() is None


async def test_aclose_all_closes_built_clients_and_is_idempotent():
    built = build_providers(Settings(), env={"ANTHROPIC_API_KEY": "k"})
    await built.aclose_all()  # no client built yet: nothing to close
    await built.aclose_all()
