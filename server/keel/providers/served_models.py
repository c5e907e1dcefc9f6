"""Which models a provider serves: ``GET /v1/models`` on the Anthropic and OpenAI-compatible APIs.

Plain httpx rather than the SDKs: listing models needs one GET, and the check
must work where the SDK is not installed (``keel doctor`` on a fresh machine).
httpx errors are translated here, once, into ``ServedModelsError``.

Shapes: Anthropic answers ``{"data": [{"id"}], "has_more", "last_id"}`` and pages
with ``after_id``; OpenAI, Ollama, vLLM and LM Studio answer
``{"object": "list", "data": [{"id"}]}`` under their ``/v1`` base URL.

Lifecycle dates, where a list carries them, are recorded in ``model_facts`` (they
beat the built-in table): OpenAI's ``shutdown_date`` ("YYYY-MM-DD" or null), and
the ``deprecation_date`` / ``retirement_date`` / ``replacement`` some gateways add.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import httpx

from keel.protocol.health import PreflightStatus
from keel.protocol.settings import ProviderSettings

from . import model_facts
from .anthropic_provider import AnthropicProvider
from .credentials import Credentials, is_loopback_url
from .openai_provider import OpenAIProvider

ANTHROPIC_VERSION = "2023-06-01"
LIST_TIMEOUT_S = 5.0
MAX_PAGES = 20
_DATED = re.compile(r"-(\d{8}|latest)$")


class ServedModelsError(Exception):
    def __init__(self, message: str, *, status: PreflightStatus = "warn",
                 fix: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.fix = fix


def _normal(model: str) -> str:
    return _DATED.sub("", model.removesuffix(":latest"))


def is_served(model: str, served: set[str]) -> bool:
    """True when ``model`` or its undated / untagged family is in ``served``."""
    return model in served or _normal(model) in {_normal(s) for s in served}


def _request(provider: ProviderSettings, credentials: Credentials) -> tuple[str, dict[str, str]]:
    key = credentials.key.reveal() if credentials.key else ""
    if provider.kind == "anthropic":
        base = (provider.base_url or AnthropicProvider.default_base_url).rstrip("/")
        return base + "/v1/models", {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
    base = (provider.base_url or OpenAIProvider.default_base_url).rstrip("/")
    return base + "/models", {"authorization": f"Bearer {key}"}


def _ids(payload: object, provider_id: str = "") -> list[str]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ServedModelsError("the models list has no `data` array")
    items = [item for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]
    for item in items:
        _record_dates(item, provider_id)
    return [item["id"] for item in items]


_RETIRES = ("shutdown_date", "retirement_date", "retires_at", "sunset_date")
_DEPRECATED = ("deprecation_date", "deprecated_at")


def _date(item: dict[str, Any], keys: tuple[str, ...]) -> date | None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return datetime.fromtimestamp(value, UTC).date()  # a Unix time
    return None


def _record_dates(item: dict[str, Any], provider_id: str) -> None:
    retires, deprecated = _date(item, _RETIRES), _date(item, _DEPRECATED)
    if retires is None and deprecated is None:
        return
    replacement = item.get("replacement")
    model_facts.record_listed(item["id"], retires, deprecated,
                              replacement if isinstance(replacement, str) else None,
                              source=f"provider:{provider_id}")


async def fetch_served_models(provider: ProviderSettings, credentials: Credentials, *,
                              transport: httpx.AsyncBaseTransport | None = None) -> set[str]:
    url, headers = _request(provider, credentials)
    served: set[str] = set()
    params: dict[str, str] = {"limit": "1000"} if provider.kind == "anthropic" else {}
    try:
        async with httpx.AsyncClient(timeout=LIST_TIMEOUT_S, transport=transport,
                                     trust_env=not is_loopback_url(url)) as client:
            for _ in range(MAX_PAGES):
                response = await client.get(url, headers=headers, params=params)
                _raise_for(provider, response)
                payload = response.json()
                served.update(_ids(payload, provider.id))
                if not (isinstance(payload, dict) and payload.get("has_more")
                        and payload.get("last_id")):
                    break
                params = {**params, "after_id": str(payload["last_id"])}
    except httpx.TimeoutException:
        raise ServedModelsError(f"{provider.id} did not list its models within "
                                f"{LIST_TIMEOUT_S:.0f} s") from None
    except httpx.HTTPError as exc:
        raise ServedModelsError(f"cannot reach {provider.id} to list models: "
                                f"{type(exc).__name__}",
                                fix="Check the network, a proxy, or the provider's baseUrl.") from None
    except ValueError:
        raise ServedModelsError(f"{provider.id} answered the models list with invalid JSON") from None
    return served


def _raise_for(provider: ProviderSettings, response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise ServedModelsError(f"{provider.id} rejected the API key ({response.status_code})",
                                status="fail", fix="Set a valid key in the provider's variable.")
    if response.status_code == 404:
        raise ServedModelsError(f"{provider.id} has no models list at {response.url.path}",
                                fix="Check the provider's baseUrl (OpenAI-compatible ones end "
                                    "in /v1).")
    if response.status_code >= 400:
        raise ServedModelsError(f"{provider.id} answered the models list with HTTP "
                                f"{response.status_code}")
