"""The one place where a provider call's failure becomes a ``keel.errors`` exception.

``classify_provider_error(exc, provider)`` maps anything a provider call can
raise (anthropic/openai SDK errors, httpx or httpx2 transport errors, JSON and
pydantic errors of a response, OSError) to a ``KeelError`` whose ``code`` and
``transient`` flag follow reliability.md:

    HTTP 402, any 4xx saying credit   provider.billing         not transient
    HTTP 429 saying quota/spend limit provider.quota_exhausted not transient
    HTTP 407, a 2xx HTML page         provider.proxy           not transient
    HTTP 429                          provider.rate_limited    transient
    HTTP 529                          provider.overloaded      transient
    HTTP 408, 409, 5xx (not 501/505)  provider.server_error    transient
    HTTP 401, 403                     provider.auth            not transient
    HTTP 400, 404, 422, other 4xx     provider.bad_request     not transient
    timeouts, connect/reset/refused   provider.connection      transient
    undecodable or invalid response   provider.bad_response    transient
    a refusal (raised by the provider) provider.refused        not transient
    anything else                     provider.unexpected      not transient

Choices worth knowing:

* SDKs are never imported here (importing ``anthropic`` costs ~2 s); their
  exceptions are recognised by class name and by ``status_code``/``response``/
  ``body`` attributes, which also covers httpx *and* httpx2 (the SDKs' own fork).
* ``asyncio.CancelledError`` and every other ``BaseException`` that is not an
  ``Exception`` (anyio/trio cancellation, KeyboardInterrupt, SystemExit) are
  **re-raised, never classified**: cancellation must propagate.
* An unknown exception becomes ``ProviderError("provider.unexpected",
  transient=False)`` rather than ``InternalError``: it happened inside one
  provider's call, so the fallback chain should move to the next provider
  instead of failing the run, and the breaker should count it. The traceback
  goes to the log only.
* The status decides the class, then ``x-should-retry`` (``true``/``false``)
  overrides the transient flag, as the official SDKs do.
* Messages are ours, naming the provider and status, followed by the
  provider's own words (``provider_message``, which the provider boundary has
  already redacted and capped; also in ``details["providerMessage"]``, with
  ``details["httpStatus"]``). SDK exception text is never copied.
* ``fails_alike`` says which later fallback candidates a non-transient error
  would repeat on (the whole provider, or the same model), so they are skipped.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import ssl
import time
from collections.abc import Mapping
from typing import Literal

import structlog

from keel.errors import KeelError, ProviderError

log = structlog.get_logger(__name__)

MAX_HEADER_RETRY_AFTER_MS = 24 * 3600 * 1000  # a larger header is nonsense; clamp it

# Out of credit ("add credit") versus over a quota or limit ("raise the limit").
_BILLING_MARKERS = (
    "credit balance",
    "out of credits",
    "purchase credits",
    "billing_not_active",
    "payment required",
)
_QUOTA_MARKERS = (
    "insufficient_quota",
    "quota",
    "spend limit",
    "spend_limit",
    "spending limit",
    "billing_hard_limit",
)
_TIMEOUT_NAMES = {"TimeoutException", "APITimeoutError", "TimeoutError"}
_CONNECTION_NAMES = {
    "ConnectError",
    "ConnectTimeout",
    "NetworkError",
    "RemoteProtocolError",
    "ReadError",
    "WriteError",
    "CloseError",
    "ProxyError",
    "APIConnectionError",
    "TransportError",
}
_BAD_RESPONSE_NAMES = {"APIResponseValidationError", "DecodingError", "ValidationError"}


def classify_provider_error(exc: BaseException, provider: str) -> KeelError:
    """Translate ``exc`` raised by a call to ``provider`` into a ``KeelError``.

    Returns the error (the caller raises it, ``from exc``). Re-raises ``exc``
    itself when it is cancellation or another non-``Exception``.
    """
    if not isinstance(exc, Exception):
        raise exc  # cancellation, KeyboardInterrupt, SystemExit: never classified
    if isinstance(exc, KeelError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        return _classify_group(exc, provider)

    status = _status_code(exc)
    if status is not None:
        return _from_status(exc, status, provider)
    if getattr(exc, "is_html", None) is True:  # a 2xx HTML page where JSON was expected
        said = _provider_message(exc)
        return ProviderError(
            f"Provider '{provider}' answered with a web page, not the API's JSON"
            + (f": {said}" if said else "."),
            code="provider.proxy",
            transient=False,
            hint=PROXY_HINT,
            provider=provider,
            details={"providerMessage": said} if said else None,
        )
    names = _class_names(exc)
    if names & _BAD_RESPONSE_NAMES or isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return ProviderError(
            f"Provider '{provider}' returned a response Keel could not read; it will be retried.",
            code="provider.bad_response",
            transient=True,
            provider=provider,
        )
    if names & _TIMEOUT_NAMES or isinstance(exc, TimeoutError):
        return _connection(provider, "timed out")
    if names & _CONNECTION_NAMES or isinstance(exc, ConnectionError | ssl.SSLError):
        return _connection(provider, "could not be reached")
    if isinstance(exc, OSError) and type(exc).__name__ == "gaierror":
        return _connection(provider, "could not be resolved")

    log.warning(
        "provider.unexpected_error",
        provider=provider,
        exc_type=type(exc).__name__,
        exc_info=exc,
    )
    return ProviderError(
        f"Provider '{provider}' failed unexpectedly; see the Keel log for details.",
        code="provider.unexpected",
        transient=False,
        provider=provider,
    )


def parse_retry_after_ms(headers: Mapping[str, str] | None, now: float | None = None) -> int | None:
    """Milliseconds asked for by ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    ``now`` is wall-clock seconds (for HTTP dates); returns None when absent or
    unparsable, 0 for a date in the past.
    """
    if not headers:
        return None
    raw_ms = _header(headers, "retry-after-ms")
    if raw_ms is not None:
        parsed = _finite_float(raw_ms)
        if parsed is not None:
            return _clamp_ms(parsed)
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    seconds = _finite_float(raw)
    if seconds is not None:
        return _clamp_ms(seconds * 1000.0)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    wall_now = time.time() if now is None else now
    return _clamp_ms((when.timestamp() - wall_now) * 1000.0)


def _from_status(exc: Exception, status: int, provider: str) -> ProviderError:
    headers = _headers(exc)
    retry_after_ms = parse_retry_after_ms(headers)
    said = _provider_message(exc)
    should_retry = _header(headers, "x-should-retry") if headers else None
    html_page = bool(getattr(exc, "is_html", False))

    def error(code: str, transient: bool, what: str, hint: str | None = None) -> ProviderError:
        # The provider's explicit word on retrying beats what its status suggests.
        if should_retry in ("true", "false"):
            transient = should_retry == "true"
        if html_page and status < 500 and status != 429 and hint is None:
            hint = PROXY_HINT
        return ProviderError(
            f"Provider '{provider}' {what} (HTTP {status})" + (f": {said}" if said else "."),
            code=code,
            transient=transient,
            hint=hint,
            retry_after_ms=retry_after_ms if transient else None,
            provider=provider,
            details={"httpStatus": status, **({"providerMessage": said} if said else {})},
        )

    if status == 402 or _says(exc, _BILLING_MARKERS):
        return error("provider.billing", False, "refused the request for billing reasons",
                     "Add credit (or a payment method) with the provider, or configure "
                     "another provider.")
    if status == 429 and _says(exc, _QUOTA_MARKERS):
        return error(
            "provider.quota_exhausted",
            False,
            "reports that its quota or spend limit is exhausted",
            "Raise the limit (quota or spend limit) with the provider, or configure another "
            "provider.",
        )
    if status == 407:
        return error("provider.proxy", False, "was not reached: a proxy asked for credentials",
                     PROXY_HINT)
    if status == 429:
        return error("provider.rate_limited", True, "is rate limiting requests")
    if status == 529:
        return error("provider.overloaded", True, "is overloaded")
    if status in (401, 403):
        return error(
            "provider.auth",
            False,
            "rejected the API key",
            "Check the API key in the environment variable named by the provider's apiKeyEnv.",
        )
    if status in (408, 409) or (status >= 500 and status not in (501, 505)):
        return error("provider.server_error", True, "had a server error")
    return error("provider.bad_request", False, "rejected the request as invalid",
                 _request_hint(exc, status, said))


PROXY_HINT = ("A proxy answered instead of the provider: check HTTPS_PROXY / NO_PROXY and the "
              "proxy's credentials, or the provider's baseUrl.")
_NOT_PULLED = re.compile(r"model ['\"]?([^'\"\s]+)['\"]? not found, try pulling it first")


def _request_hint(exc: Exception, status: int, said: str | None) -> str | None:
    """The fix for the common misconfigurations behind a 4xx."""
    pulled = _NOT_PULLED.search(said or "")
    if pulled:
        return f"Run `ollama pull {pulled.group(1)}` on the Ollama host."
    if status == 404 and getattr(exc, "body", None) is None and "/v1/" not in str(
            getattr(exc, "path", "")):
        return ("The server has no such route: an OpenAI-compatible server (Ollama, vLLM, "
                "LM Studio) serves it under /v1, so add /v1 to the provider's baseUrl.")
    if status == 413:
        return "The request is larger than the provider accepts; analyse a smaller target."
    return None


def fails_alike(error: KeelError) -> Literal["provider", "model"] | None:
    """Which later candidates would fail the same way: every one of this provider, those
    with the same model, or None (worth trying: transient, or a cause we cannot place)."""
    if not isinstance(error, ProviderError) or error.transient:
        return None
    if error.code in _PROVIDER_WIDE:
        return "provider"
    if error.code == "provider.server_error":  # told not to retry (x-should-retry: false)
        return "model"
    if error.code != "provider.bad_request":
        return None
    said = str(error.details.get("providerMessage") or "")
    if error.details.get("httpStatus") == 413 or (said and "model" not in said.lower()):
        return "provider"  # the same request goes to each tier: only the model differs
    return "model"


# A refusal is about the input, which every tier of the provider would be sent again:
# walking to dearer models only multiplies what is billed for the same "no".
_PROVIDER_WIDE = frozenset({"provider.auth", "provider.billing", "provider.quota_exhausted",
                            "provider.proxy", "provider.refused"})


def _connection(provider: str, what: str) -> ProviderError:
    return ProviderError(
        f"Provider '{provider}' {what}; check the network or the provider's baseUrl.",
        code="provider.connection",
        transient=True,
        provider=provider,
    )


def _classify_group(group: BaseExceptionGroup, provider: str) -> KeelError:
    # Only an ExceptionGroup gets here: a group holding a cancellation is a
    # BaseExceptionGroup and was re-raised whole above.
    leaves: list[BaseException] = []
    _flatten(group, leaves)
    return classify_provider_error(leaves[0], provider)


def _flatten(exc: BaseException, into: list[BaseException]) -> None:
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            _flatten(sub, into)
    else:
        into.append(exc)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _status_code(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int) and 400 <= status <= 599:
        return status
    return None


def _headers(exc: Exception) -> Mapping[str, str] | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return headers if isinstance(headers, Mapping) else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict is case-sensitive; httpx.Headers is not
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return None if value is None else str(value).strip()


def _finite_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _clamp_ms(ms: float) -> int:
    return int(min(max(0.0, math.ceil(ms)), MAX_HEADER_RETRY_AFTER_MS))


def _provider_message(exc: Exception) -> str | None:
    """The provider's own words, as the provider boundary redacted and capped them."""
    said = getattr(exc, "provider_message", None)
    return said if isinstance(said, str) and said else None


def _says(exc: Exception, markers: tuple[str, ...]) -> bool:
    parts = [str(getattr(exc, "message", "") or ""), str(getattr(exc, "code", "") or ""),
             _provider_message(exc) or ""]
    body = getattr(exc, "body", None)
    if body is not None:
        try:
            parts.append(json.dumps(body, default=str))
        except (TypeError, ValueError):
            parts.append(str(body))
    text = " ".join(parts).lower()
    return any(marker in text for marker in markers)
