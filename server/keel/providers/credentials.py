"""API keys: where they come from, where they may go, and how they stay out of logs, errors and reprs.

A key goes only over TLS, or to this machine: a ``baseUrl`` that is not
``https://`` is refused unless it is ``http://`` to a loopback address (Ollama,
vLLM, LM Studio). Refused here, where the key is read, the key is never read at
all: no client, probe or retry of any caller can send it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from keel.protocol.settings import ProviderSettings
from keel.settings import key_env_of

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Ollama, vLLM and LM Studio on this machine ignore the key, but the OpenAI SDK
# refuses to build a client without one.
LOCAL_PLACEHOLDER_KEY = "keel-local-no-key"
CLEAR_TEXT_FIX = "Use an https:// baseUrl, or http:// to localhost or 127.0.0.1 for a local server."


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
    """Whether ``url`` is to this machine. Clients for such a URL ignore the proxy variables
    (``trust_env=False``): through ``HTTP_PROXY`` the key would cross the network in clear text."""
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and _is_loopback_host(host)


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8
    except ValueError:
        return False


def clear_text_problem(settings: ProviderSettings) -> str | None:
    """Why this provider's endpoint must get no key (and no code), or None when it may."""
    url = settings.base_url
    if url is None:
        return None  # the kind's default endpoint, https
    field = f"providers[{settings.id}].baseUrl"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{field} is not a URL"
    scheme = parts.scheme.lower()
    if scheme == "https" and host:
        return None
    if scheme == "http" and host and _is_loopback_host(host):
        return None
    if scheme == "http" and host:
        return (f"{field} is http:// to {host}, not this machine: the key and the code "
                "would cross the network in clear text")
    return f"{field} must start with https:// (or http:// to this machine)"


@dataclass(frozen=True)
class Credentials:
    key: Secret | None
    env_name: str | None  # the variable the key is read from; None for offline
    placeholder: bool = False  # a local server that needs no key
    refused: str | None = None  # the endpoint may not have a key (clear_text_problem); none was read

    @property
    def present(self) -> bool:
        return self.key is not None


def resolve_credentials(settings: ProviderSettings, env: Mapping[str, str]) -> Credentials:
    env_name = key_env_of(settings)
    if env_name is None:
        return Credentials(None, None)
    refused = clear_text_problem(settings)
    if refused is not None:
        return Credentials(None, env_name, refused=refused)
    value = (env.get(env_name) or "").strip()
    if value:
        return Credentials(Secret(value), env_name)
    if settings.kind == "openai" and is_loopback_url(settings.base_url):
        return Credentials(Secret(LOCAL_PLACEHOLDER_KEY), env_name, placeholder=True)
    return Credentials(None, env_name)
