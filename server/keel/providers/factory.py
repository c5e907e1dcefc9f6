"""Build the configured providers from settings and the environment.

The list order of ``settings.providers`` is the fallback order. With no
provider configured, Anthropic then OpenAI are tried under their default key
variables; when none of them has a key, the offline provider serves alone.
Building imports nothing heavy (no httpx client yet) and never touches the network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog

from keel.errors import UNTRUSTED_FIX, Untrusted
from keel.protocol.settings import ProviderSettings, Settings

from .anthropic_provider import AnthropicProvider
from .base import Provider
from .credentials import CLEAR_TEXT_FIX, Credentials, resolve_credentials
from .http_provider import HttpProvider
from .offline import NONE_CONFIGURED_HINT, OFFLINE_ID, OfflineProvider
from .openai_provider import OpenAIProvider

log = structlog.get_logger(__name__)

DEFAULT_PROVIDERS: tuple[ProviderSettings, ...] = (
    ProviderSettings(id="anthropic", kind="anthropic"),
    ProviderSettings(id="openai", kind="openai"),
)
OFFLINE_SETTINGS = ProviderSettings(id=OFFLINE_ID, kind="offline")
_HTTP_CLASSES: dict[str, type[HttpProvider]] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAIProvider,
}


@dataclass(frozen=True)
class ProviderStatus:
    id: str
    kind: str
    ready: bool
    status: str  # "ready", "no key: set ANTHROPIC_API_KEY", ... (for preflight and health)
    key_env: str | None = None
    endpoint: str | None = None
    fix: str | None = None


@dataclass
class ProviderSet:
    providers: list[Provider]  # fallback order; exactly [offline] when none is ready
    statuses: list[ProviderStatus]  # every configured entry (and offline, when serving)
    settings_by_id: dict[str, ProviderSettings] = field(default_factory=dict)
    untrusted: bool = False  # built for an untrusted workspace: nothing may be sent

    @property
    def offline(self) -> bool:
        return all(p.kind == "offline" for p in self.providers)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.providers]

    def get(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)

    def settings_of(self, provider_id: str) -> ProviderSettings:
        """The settings entry of a provider (for ``registry.resolve_model``)."""
        return self.settings_by_id[provider_id]

    def status_of(self, provider_id: str) -> ProviderStatus | None:
        return next((s for s in self.statuses if s.id == provider_id), None)

    async def aclose_all(self) -> None:
        for provider in self.providers:
            try:
                await provider.aclose()
            except Exception:  # closing one must not leak the others' connections
                log.warning("provider close failed", provider=provider.id, exc_info=True)


def _status(entry: ProviderSettings, creds: Credentials, endpoint: str | None) -> ProviderStatus:
    ready, status, fix = _readiness(entry, creds)
    return ProviderStatus(id=entry.id, kind=entry.kind, ready=ready, status=status,
                          key_env=creds.env_name, endpoint=endpoint, fix=fix)


def _readiness(entry: ProviderSettings, creds: Credentials) -> tuple[bool, str, str | None]:
    """(ready, status, fix) of a configured entry."""
    if entry.kind == "offline":
        return False, "offline: calls no model", None
    if creds.refused:
        return False, f"refused: {creds.refused}", CLEAR_TEXT_FIX
    if not creds.present:
        return (False, f"no key: set {creds.env_name}",
                f"Set the environment variable {creds.env_name} for the Keel server.")
    if creds.placeholder:
        return True, "ready (local server, no key needed)", None
    return True, "ready", None


def build_providers(settings: Settings, env: Mapping[str, str] = os.environ) -> ProviderSet:
    entries = list(settings.providers) or list(DEFAULT_PROVIDERS)
    providers: list[Provider] = []
    statuses: list[ProviderStatus] = []
    by_id: dict[str, ProviderSettings] = {}
    for entry in entries:
        creds = resolve_credentials(entry, env)
        sdk_class = _HTTP_CLASSES.get(entry.kind)
        provider = sdk_class(entry, creds) if sdk_class else None
        status = _status(entry, creds, provider.endpoint() if provider else None)
        statuses.append(status)
        by_id[entry.id] = entry
        if status.ready and provider is not None:
            providers.append(provider)
    if not providers:
        providers.append(OfflineProvider())
        statuses.append(ProviderStatus(
            id=OFFLINE_ID, kind="offline", ready=True,
            status="serving: no provider has a key; LLM stages are skipped",
            fix=NONE_CONFIGURED_HINT,
        ))
        by_id.setdefault(OFFLINE_ID, OFFLINE_SETTINGS)
    log.debug("providers built", order=[p.id for p in providers],
             statuses={s.id: s.status for s in statuses})
    return ProviderSet(providers=providers, statuses=statuses, settings_by_id=by_id)


UNTRUSTED_STATUS = "not used: the workspace is not trusted, so no code is sent to a model"


def untrusted_refusal() -> Untrusted:
    return Untrusted("This workspace is not trusted, so Keel sends none of its code to a model.")


def untrusted_providers(settings: Settings) -> ProviderSet:
    """The provider set of an untrusted workspace: the configured entries, none of them
    built (no client, no key read), and a stand-in that refuses every call with
    ``trust.untrusted``."""
    entries = list(settings.providers) or list(DEFAULT_PROVIDERS)
    statuses = [ProviderStatus(id=e.id, kind=e.kind, ready=False, status=UNTRUSTED_STATUS,
                               fix=UNTRUSTED_FIX) for e in entries]
    by_id = {e.id: e for e in entries}
    by_id.setdefault(OFFLINE_ID, OFFLINE_SETTINGS)
    return ProviderSet(providers=[OfflineProvider(refusal=untrusted_refusal)], statuses=statuses,
                       settings_by_id=by_id, untrusted=True)
