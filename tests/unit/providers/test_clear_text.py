"""Keys go only over TLS or to this machine: for a clear-text remote endpoint no key is read and
nothing is sent, and preflight names the refused field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from keel.health.preflight import check_provider_keys
from keel.protocol.settings import ProviderSettings, Settings
from keel.providers.credentials import clear_text_problem, resolve_credentials
from keel.providers.factory import build_providers
from keel.providers.registry_check import check_served

KEY = "sk-clear-text-test-0123456789"
REFUSED = ["http://evil.example/v1", "http://10.0.0.5:11434/v1", "HTTP://proxy.corp:8080",
           "http://localhost.evil.example/v1", "http://127.0.0.1.evil.example/", "ftp://host/v1",
           "api.example.com/v1"]
ALLOWED = ["https://api.example.com/v1", "http://localhost:11434/v1", "http://127.0.0.1:8765",
           "http://[::1]:8000/v1", "http://127.0.0.2:9/v1", "HTTPS://API.EXAMPLE.COM"]


class ReadRecorder(Mapping[str, str]):
    """The environment, recording every variable read from it."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.read = values, []

    def __getitem__(self, name: str) -> str:
        self.read.append(name)
        return self.values[name]

    def get(self, name, default=None):  # type: ignore[override]
        self.read.append(name)
        return self.values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def provider(url: str, kind: str = "openai") -> ProviderSettings:
    return ProviderSettings(id="p", kind=kind, base_url=url, api_key_env="MY_KEY")


@pytest.mark.parametrize("url", REFUSED)
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_key_is_never_read_for_a_clear_text_remote_endpoint(url, kind):
    env = ReadRecorder({"MY_KEY": KEY})
    credentials = resolve_credentials(provider(url, kind), env)
    assert not credentials.present and env.read == []
    assert "providers[p].baseUrl" in (credentials.refused or "")
    built = build_providers(Settings(providers=[provider(url, kind)]), env)
    assert built.ids == ["offline"] and env.read == []
    status = built.status_of("p")
    assert status is not None and not status.ready
    assert status.status.startswith("refused: providers[p].baseUrl") and "https://" in (status.fix or "")


@pytest.mark.parametrize("url", ALLOWED)
def test_https_and_loopback_http_keep_working(url):
    assert clear_text_problem(provider(url)) is None
    built = build_providers(Settings(providers=[provider(url)]), {"MY_KEY": KEY})
    assert built.ids == ["p"]


def test_the_default_endpoints_are_https():
    built = build_providers(Settings(providers=[ProviderSettings(id="a", kind="anthropic")]),
                            {"ANTHROPIC_API_KEY": KEY})
    assert built.ids == ["a"]


async def test_the_served_models_probe_sends_nothing_to_a_clear_text_endpoint():
    def refuse(request):
        raise AssertionError(f"a request went to {request.url}")

    import httpx

    check = await check_served(provider("http://evil.example/v1"), {"MY_KEY": KEY},
                               transport=httpx.MockTransport(refuse))
    assert check.status == "fail" and "providers[p].baseUrl" in check.message


def test_preflight_names_the_refused_field():
    check = check_provider_keys(Settings(providers=[provider("http://evil.example/v1")]),
                                {"MY_KEY": KEY})
    assert check.status == "fail" and "providers[p].baseUrl is http://" in check.message


class Recorder:
    """A TCP listener that keeps what each connection sent, then closes it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def start(self, host: str) -> str:
        import asyncio

        async def on_connect(reader, writer) -> None:
            self.received.append(await reader.read(65536))
            writer.close()

        self.server = await asyncio.start_server(on_connect, host, 0)
        return f"http://{host}:{self.server.sockets[0].getsockname()[1]}"


@pytest.mark.parametrize("call", ["complete", "served models"])
async def test_a_loopback_endpoints_key_does_not_go_through_an_http_proxy(monkeypatch, call):
    """HTTP_PROXY (the extension passes proxies on) sent a local server's key, in clear text,
    to the proxy: across the network, which the loopback exception exists to rule out."""
    from keel.providers.base import CompletionRequest
    from keel.providers.served_models import ServedModelsError, fetch_served_models

    proxy, local = Recorder(), Recorder()
    proxy_url = await proxy.start("127.0.0.2")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    base = await local.start("127.0.0.1") + "/v1"
    settings = Settings.model_validate({"providers": [
        {"id": "local", "kind": "openai", "baseUrl": base, "apiKeyEnv": "LOCAL_KEY"}]})
    entry = settings.providers[0]
    if call == "complete":
        provider = build_providers(settings, {"LOCAL_KEY": KEY}).get("local")
        with pytest.raises(Exception):  # noqa: B017,PT011 - the listener answers nothing usable
            await provider.complete(CompletionRequest(system="s", prompt="p", max_output_tokens=1, model="m"))
        await provider.aclose()
    else:
        with pytest.raises(ServedModelsError):
            await fetch_served_models(entry, resolve_credentials(entry, {"LOCAL_KEY": KEY}))
    assert proxy.received == []
    assert len(local.received) == 1 and KEY.encode() in local.received[0]
