"""The shared shape of the HTTP providers (Anthropic Messages, OpenAI Chat Completions).

Keel talks to both APIs directly over ``httpx`` (already a dependency) instead
of through the official SDKs. Importing ``anthropic`` costs 2-6 s of CPU, and
on a thread it still stalls the event loop for up to ~400 ms at a time (the GIL
is held through long pydantic-core model builds), so neither the first request
nor ``keel/health`` during the warm-up could meet their goals; importing
``httpx`` costs ~0.1 s with stalls under 20 ms (docs/performance.md has the
figures). The two request shapes Keel uses are small and stable.

Retries, deadlines and breakers live in ``keel.resilience`` and the caller's
deadline scope: the per-phase httpx timeouts below only catch a dead socket.
Every failure is translated at this boundary by ``classify_provider_error``
(an HTTP error status, or an HTML page, becomes ``ProviderHttpError`` before
any body is parsed: http_errors.py); cancellation is never caught (``except
Exception`` does not catch it).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

import structlog

from keel.errors import KeelError, ProviderError
from keel.observability.redaction import REDACTOR
from keel.protocol.settings import ProviderSettings
from keel.resilience.classify import classify_provider_error
from keel.runtime.threads import in_thread

from . import recent
from .base import Completion, CompletionRequest, ProviderKind
from .credentials import Credentials, is_loopback_url
from .http_errors import ProviderHttpError, cap, is_html, is_json_type
from .model_facts import facts_of

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0
WRITE_TIMEOUT_S = 30.0
POOL_TIMEOUT_S = 10.0
USER_AGENT = "keel/0.1"


def bad_response(provider_id: str, why: str) -> ProviderError:
    return ProviderError(
        f"The provider {provider_id!r} answered without usable content ({why}).",
        code="provider.bad_response",
        transient=True,
        provider=provider_id,
    )


def refused(provider_id: str, said: str | None, why: str) -> ProviderError:
    """The model declined: not retried, not walked to a dearer tier (classify.fails_alike)."""
    said = cap(REDACTOR.text(" ".join(said.split()))) if said else None
    return ProviderError(
        f"Provider '{provider_id}' declined to answer ({why})" + (f": {said}" if said else "."),
        code="provider.refused", transient=False, provider=provider_id,
        hint="The model refused this input; Keel does not retry it on dearer models. Narrow "
             "the target or exclude the file that triggers it.",
        details={"stopReason": why, **({"providerMessage": said} if said else {})},
    )


def usage_of(body: dict[str, Any]) -> dict[str, Any]:
    """The ``usage`` object of an answer; {} when it is missing or not an object."""
    usage = body.get("usage")
    return usage if isinstance(usage, dict) else {}


class HttpProvider(ABC):
    """One configured provider entry: an ``httpx.AsyncClient`` for its HTTP API."""

    default_base_url: str

    def __init__(self, settings: ProviderSettings, credentials: Credentials) -> None:
        self._settings = settings
        self._credentials = credentials
        self._client: Any = None

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
        """Import httpx and build the client ahead of the first call (the warm-up after start)."""
        try:
            await self._get_client()
        except KeelError:
            raise
        except Exception as exc:
            raise classify_provider_error(exc, self.id) from exc

    async def complete(self, request: CompletionRequest) -> Completion:
        try:
            client = await self._get_client()
            started = time.monotonic()
            response = await client.post(self._path, json=self._payload(request))
            # Status and headers first: an error page is classified by its status, not by
            # whether its body parses; a 2xx page that is not JSON is a proxy's, not an answer.
            if response.status_code >= 400 or self._not_json(response):
                raise self._http_error(ProviderHttpError(response))
            body = response.json() if response.content else None
        except KeelError as ours:
            self._note(ours)
            raise  # already ours (e.g. no key): nothing to translate
        except Exception as exc:
            classified = classify_provider_error(exc, self.id)
            self._note(classified)
            raise classified from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        try:
            if not isinstance(body, dict):
                raise bad_response(self.id, "not a JSON object")
            completion = self._parse(body, request, latency_ms)
        except KeelError as unusable:
            self._note(unusable)
            raise
        recent.note_success(self.id)
        return completion

    def _note(self, error: KeelError) -> None:
        """The health component shows the provider's words (or ours) for the last failure."""
        said = error.details.get("providerMessage") if error.details else None
        recent.note_error(self.id, error.code, str(said or error.message))
        if error.code == "provider.refused":
            log.warning("provider.refused", provider=self.id, provider_message=said,
                        stop_reason=error.details.get("stopReason"))

    @staticmethod
    def _not_json(response: Any) -> bool:
        content_type = response.headers.get("content-type")
        return not is_json_type(content_type) and is_html(content_type, response.content or b"")

    def _http_error(self, error: ProviderHttpError) -> ProviderHttpError:
        key = self._credentials.key
        if error.provider_message and key is not None and len(key.reveal()) >= 8 \
                and key.reveal() in error.provider_message:
            error.provider_message = error.provider_message.replace(key.reveal(), "[REDACTED]")
        log.warning("provider.http_error", provider=self.id, status=error.status_code,
                    code=error.code, provider_message=error.provider_message)
        return error

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _get_client(self) -> Any:
        if self._client is not None:
            return self._client
        if self._credentials.key is None:
            env = self._credentials.env_name
            raise ProviderError(
                f"The provider {self.id!r} has no API key.",
                code="provider.auth", transient=False, provider=self.id,
                hint=f"Set {env}." if env else None,
            )
        # On a thread: importing httpx and loading the CA bundle into a TLS context take
        # tens of ms of CPU. The client is only created there, not used.
        client = await in_thread(self._build_client, self._credentials.key.reveal())
        if self._client is None:  # another caller may have built one meanwhile
            self._client = client
            log.debug("provider client built", provider=self.id, endpoint=self.endpoint())
        return self._client

    def _build_client(self, api_key: str) -> Any:
        import httpx

        endpoint = self.endpoint() or ""
        return httpx.AsyncClient(
            base_url=endpoint,
            headers={"user-agent": USER_AGENT, **self._auth_headers(api_key)},
            trust_env=not is_loopback_url(endpoint),  # credentials.is_loopback_url says why
            timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S,
                                  write=WRITE_TIMEOUT_S, pool=POOL_TIMEOUT_S),
        )

    _path: str  # the API path under the base URL

    @abstractmethod
    def _auth_headers(self, api_key: str) -> dict[str, str]: ...

    @abstractmethod
    def _payload(self, request: CompletionRequest) -> dict[str, Any]: ...

    def _temperature(self, request: CompletionRequest) -> float | None:
        """The temperature to send: the request's, else the provider's setting; None (omit
        it) when neither sets one or the model rejects the parameter (model_facts)."""
        value = request.temperature if request.temperature is not None \
            else self._settings.temperature
        return value if value is not None and facts_of(request.model).temperature else None

    @abstractmethod
    def _parse(self, body: dict[str, Any], request: CompletionRequest,
               latency_ms: int) -> Completion: ...
