"""API keys: where they come from, and how they stay out of logs, errors and reprs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from keel.protocol.settings import ProviderSettings
from keel.settings import key_env_of

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Ollama, vLLM and LM Studio on this machine ignore the key, but the OpenAI SDK
# refuses to build a client without one.
LOCAL_PLACEHOLDER_KEY = "keel-local-no-key"


class Secret:
    """A string that never shows itself: repr and str are masked; ``reveal()`` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def is_loopback_url(url: str | None) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and host.lower() in LOOPBACK_HOSTS


@dataclass(frozen=True)
class Credentials:
    key: Secret | None
    env_name: str | None  # the variable the key is read from; None for offline
    placeholder: bool = False  # a local server that needs no key

    @property
    def present(self) -> bool:
        return self.key is not None


def resolve_credentials(settings: ProviderSettings, env: Mapping[str, str]) -> Credentials:
    env_name = key_env_of(settings)
    if env_name is None:
        return Credentials(None, None)
    value = (env.get(env_name) or "").strip()
    if value:
        return Credentials(Secret(value), env_name)
    if settings.kind == "openai" and is_loopback_url(settings.base_url):
        return Credentials(Secret(LOCAL_PLACEHOLDER_KEY), env_name, placeholder=True)
    return Credentials(None, env_name)
