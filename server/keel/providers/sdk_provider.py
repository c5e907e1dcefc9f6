"""The shared shape of the SDK-backed providers (Anthropic, OpenAI-compatible).

The SDK is imported on the first call, in a worker thread: importing
``anthropic`` takes over a second, and neither server start nor the event loop
may pay for that. SDK retries are off (``max_retries=0``): retries, deadlines
and breakers live in ``keel.resilience`` and the caller's deadline scope. Every
SDK failure is translated at this boundary by ``classify_provider_error``;
cancellation is never caught (``except Exception`` does not catch it).
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from types import ModuleType
from typing import Any

import anyio
import structlog

from keel.errors import KeelError, ProviderError
from keel.protocol.settings import ProviderSettings
from keel.resilience.classify import classify_provider_error
from keel.runtime.threads import in_thread

from .base import Completion, CompletionRequest, ProviderKind
from .credentials import Credentials

log = structlog.get_logger(__name__)

# Per-phase httpx timeouts. They only catch a dead socket; the request's real
# deadline is enforced by the caller (anyio), which cancels the call.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0
WRITE_TIMEOUT_S = 30.0
POOL_TIMEOUT_S = 10.0


async def import_sdk(name: str) -> ModuleType:
    # abandon_on_cancel: a cancelled first call must not wait for the import.
    return await in_thread(importlib.import_module, name)


def sdk_timeout(sdk: ModuleType) -> Any:
    return sdk.Timeout(
        None, connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S,
        write=WRITE_TIMEOUT_S, pool=POOL_TIMEOUT_S,
    )


def bad_response(provider_id: str, why: str) -> ProviderError:
    return ProviderError(
        f"The provider {provider_id!r} answered without usable content ({why}).",
        code="provider.bad_response",
        transient=True,
        provider=provider_id,
    )


class SdkProvider(ABC):
    """One configured provider entry backed by an official SDK client."""

    sdk_module: str  # the module imported lazily, e.g. "anthropic"
    default_base_url: str

    def __init__(self, settings: ProviderSettings, credentials: Credentials) -> None:
        self._settings = settings
        self._credentials = credentials
        self._client: Any = None
        self._client_lock = anyio.Lock()

    @property
    def id(self) -> str:
        return self._settings.id

    @property
    def kind(self) -> ProviderKind:
        return self._settings.kind

    def has_credentials(self) -> bool:
        return self._credentials.present

    def endpoint(self) -> str | None:
        return self._settings.base_url or self.default_base_url

    def __repr__(self) -> str:
        # The key is deliberately absent (Secret masks it anyway).
        return f"{type(self).__name__}(id={self.id!r}, endpoint={self.endpoint()!r})"

    async def warm(self) -> None:
        """Import the SDK and build the client ahead of the first call (e.g. after start)."""
        try:
            await self._get_client()
        except KeelError:
            raise
        except Exception as exc:
            raise classify_provider_error(exc, self.id) from exc

    async def complete(self, request: CompletionRequest) -> Completion:
        try:
            client = await self._get_client()
            # Timed from here: the one-off SDK import is not the provider being slow.
            started = time.monotonic()
            response = await self._call(client, request)
        except KeelError:
            raise  # already ours (e.g. no key): nothing to translate
        except Exception as exc:
            raise classify_provider_error(exc, self.id) from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        return self._parse(response, request, latency_ms)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _get_client(self) -> Any:
        if self._client is not None:
            return self._client
        async with self._client_lock:
            if self._client is None:
                if self._credentials.key is None:
                    env = self._credentials.env_name
                    raise ProviderError(
                        f"The provider {self.id!r} has no API key.",
                        code="provider.auth", transient=False, provider=self.id,
                        hint=f"Set {env}." if env else None,
                    )
                sdk = await import_sdk(self.sdk_module)
                self._client = self._build_client(sdk, self._credentials.key.reveal())
                log.debug("provider client built", provider=self.id, endpoint=self.endpoint())
        return self._client

    @abstractmethod
    def _build_client(self, sdk: ModuleType, api_key: str) -> Any: ...

    @abstractmethod
    async def _call(self, client: Any, request: CompletionRequest) -> Any: ...

    @abstractmethod
    def _parse(self, response: Any, request: CompletionRequest, latency_ms: int) -> Completion: ...
