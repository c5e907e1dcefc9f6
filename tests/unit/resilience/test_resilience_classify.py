"""Every row of reliability.md's provider error table, through real SDK/httpx exceptions."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import anthropic
import httpx
import httpx2
import openai
import pydantic
import pytest

from keel.errors import DeadlineExceeded, InvalidInput, ProviderError
from keel.resilience.classify import classify_provider_error, fails_alike, parse_retry_after_ms

REQUEST = httpx.Request("POST", "https://api.example.test/v1/messages")


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, request=REQUEST)


def anthropic_error(cls: type, status: int, body: object = None, headers=None, message="boom"):
    return cls(message, response=response(status, headers), body=body)


def openai_error(cls: type, status: int, body: object = None, headers=None, message="boom"):
    return cls(message, response=response(status, headers), body=body)


STATUS_ROWS = [
    # (status, anthropic class, openai class, expected code, transient)
    (400, anthropic.BadRequestError, openai.BadRequestError, "provider.bad_request", False),
    (401, anthropic.AuthenticationError, openai.AuthenticationError, "provider.auth", False),
    (403, anthropic.PermissionDeniedError, openai.PermissionDeniedError, "provider.auth", False),
    (404, anthropic.NotFoundError, openai.NotFoundError, "provider.bad_request", False),
    (408, anthropic.RequestTimeoutError, openai.APIStatusError, "provider.server_error", True),
    (409, anthropic.ConflictError, openai.ConflictError, "provider.server_error", True),
    (
        422,
        anthropic.UnprocessableEntityError,
        openai.UnprocessableEntityError,
        "provider.bad_request",
        False,
    ),
    (429, anthropic.RateLimitError, openai.RateLimitError, "provider.rate_limited", True),
    (500, anthropic.InternalServerError, openai.InternalServerError, "provider.server_error", True),
    (502, anthropic.APIStatusError, openai.APIStatusError, "provider.server_error", True),
    (
        503,
        anthropic.ServiceUnavailableError,
        openai.InternalServerError,
        "provider.server_error",
        True,
    ),
    (504, anthropic.GatewayTimeoutError, openai.InternalServerError, "provider.server_error", True),
    (529, anthropic.OverloadedError, openai.APIStatusError, "provider.overloaded", True),
]


@pytest.mark.parametrize(("status", "a_cls", "o_cls", "code", "transient"), STATUS_ROWS)
def test_status_rows_for_both_sdks(status, a_cls, o_cls, code, transient):
    for exc, provider in (
        (anthropic_error(a_cls, status), "anthropic"),
        (openai_error(o_cls, status), "openai"),
    ):
        err = classify_provider_error(exc, provider)
        assert isinstance(err, ProviderError)
        assert (err.code, err.transient, err.provider) == (code, transient, provider)
        assert err.error_type == "provider"
        assert f"HTTP {status}" in err.message


def test_openai_429_insufficient_quota_is_not_transient():
    body = {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "code": "insufficient_quota",
    }
    err = classify_provider_error(openai_error(openai.RateLimitError, 429, body), "openai")
    assert (err.code, err.transient) == ("provider.quota_exhausted", False)
    assert err.hint and "spend limit" in err.hint


def test_anthropic_429_spend_limit_is_quota_exhausted():
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "Your workspace has reached its monthly spend limit.",
        },
    }
    err = classify_provider_error(anthropic_error(anthropic.RateLimitError, 429, body), "anthropic")
    assert (err.code, err.transient) == ("provider.quota_exhausted", False)


def test_anthropic_429_plain_rate_limit_is_transient():
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "Number of request tokens has exceeded your per-minute rate limit",
        },
    }
    err = classify_provider_error(anthropic_error(anthropic.RateLimitError, 429, body), "anthropic")
    assert (err.code, err.transient) == ("provider.rate_limited", True)


def test_402_payment_required_is_billing():
    err = classify_provider_error(anthropic_error(anthropic.PaymentRequiredError, 402), "anthropic")
    assert (err.code, err.transient) == ("provider.billing", False)
    assert "Add credit" in (err.hint or "")


def test_retry_after_seconds_header():
    exc = anthropic_error(anthropic.RateLimitError, 429, headers={"Retry-After": "7"})
    assert classify_provider_error(exc, "anthropic").retry_after_ms == 7000


def test_retry_after_ms_header_wins_over_seconds():
    exc = openai_error(
        openai.RateLimitError, 429, headers={"retry-after-ms": "1250.4", "retry-after": "9"}
    )
    assert classify_provider_error(exc, "openai").retry_after_ms == 1251


def test_retry_after_not_kept_on_non_transient_errors():
    exc = anthropic_error(anthropic.AuthenticationError, 401, headers={"Retry-After": "7"})
    assert classify_provider_error(exc, "anthropic").retry_after_ms is None


def test_retry_after_http_date():
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}
    now = 1445412480.0  # 07:28:00 that day
    assert parse_retry_after_ms(headers, now=now) == 30_000
    assert parse_retry_after_ms(headers, now=now + 60) == 0  # in the past


@pytest.mark.parametrize("value", ["soon", "", "nan", "inf"])
def test_retry_after_garbage_is_ignored(value):
    assert parse_retry_after_ms({"retry-after": value}) is None


def test_retry_after_absent():
    assert parse_retry_after_ms({}) is None
    assert parse_retry_after_ms(None) is None


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out", request=REQUEST),
        httpx.ConnectTimeout("connect timed out", request=REQUEST),
        httpx.ConnectError("connection refused", request=REQUEST),
        httpx.RemoteProtocolError("peer closed connection", request=REQUEST),
        httpx.ReadError("connection reset by peer", request=REQUEST),
        httpx2.ReadTimeout("read timed out"),
        httpx2.ConnectError("connection refused"),
        anthropic.APITimeoutError(request=REQUEST),
        anthropic.APIConnectionError(request=REQUEST),
        openai.APITimeoutError(request=REQUEST),
        openai.APIConnectionError(request=REQUEST),
        ConnectionResetError(104, "Connection reset by peer"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
    ],
    ids=lambda e: type(e).__module__.split(".")[0] + "." + type(e).__name__,
)
def test_transport_failures_are_transient_connection_errors(exc):
    err = classify_provider_error(exc, "anthropic")
    assert (err.code, err.transient, err.provider) == ("provider.connection", True, "anthropic")


def test_http_status_error_from_raise_for_status():
    exc = httpx.HTTPStatusError(
        "503", request=REQUEST, response=response(503, {"retry-after": "2"})
    )
    err = classify_provider_error(exc, "openai")
    assert (err.code, err.transient, err.retry_after_ms) == ("provider.server_error", True, 2000)


class _Answer(pydantic.BaseModel):
    text: str


def _validation_error() -> pydantic.ValidationError:
    try:
        _Answer.model_validate({"text": 3})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("expected a ValidationError")


@pytest.mark.parametrize(
    "exc",
    [
        json.JSONDecodeError("Expecting value", "<html>", 0),
        _validation_error(),
        anthropic.APIResponseValidationError(response(200), body={"nope": 1}),
        httpx.DecodingError("bad gzip", request=REQUEST),
    ],
    ids=["json", "pydantic", "sdk-validation", "httpx-decoding"],
)
def test_malformed_responses_are_transient_bad_response(exc):
    err = classify_provider_error(exc, "anthropic")
    assert (err.code, err.transient) == ("provider.bad_response", True)


def test_keel_errors_pass_through_unchanged():
    for error in (
        InvalidInput("bad"),
        DeadlineExceeded("late"),
        ProviderError("x", code="provider.auth"),
    ):
        assert classify_provider_error(error, "anthropic") is error


def test_cancellation_is_reraised_not_classified():
    cancelled = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError) as info:
        classify_provider_error(cancelled, "anthropic")
    assert info.value is cancelled
    with pytest.raises(KeyboardInterrupt):
        classify_provider_error(KeyboardInterrupt(), "anthropic")


def test_a_group_holding_a_cancellation_is_reraised_whole():
    group = BaseExceptionGroup(
        "tg", [httpx.ReadTimeout("t", request=REQUEST), asyncio.CancelledError()]
    )
    with pytest.raises(BaseExceptionGroup) as info:
        classify_provider_error(group, "anthropic")
    assert info.value is group


def test_exception_group_is_classified_by_its_first_leaf():
    group = ExceptionGroup(
        "tg", [ExceptionGroup("inner", [httpx.ConnectError("refused", request=REQUEST)])]
    )
    assert classify_provider_error(group, "openai").code == "provider.connection"


def test_unknown_exceptions_are_unexpected_and_not_transient():
    err = classify_provider_error(KeyError("choices"), "openai")
    assert isinstance(err, ProviderError)
    assert (err.code, err.transient, err.provider) == ("provider.unexpected", False, "openai")


def test_message_is_ours_without_secrets_or_paths():
    secret = "sk-ant-CANARY-123 /home/alice/project"
    exc = anthropic_error(
        anthropic.BadRequestError, 400, body={"error": {"message": secret}}, message=secret
    )
    err = classify_provider_error(exc, "anthropic")
    assert secret not in err.message and "CANARY" not in err.message and "/home" not in err.message
    assert "'anthropic'" in err.message and err.message.endswith(".")


def test_importing_resilience_does_not_import_the_sdks():
    code = "import sys, keel.resilience; print('anthropic' in sys.modules, 'openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- x-should-retry, the provider's words, what fails alike (issue 26) ----------------------


@pytest.mark.parametrize(
    ("status", "header", "code", "transient"),
    [
        (500, "false", "provider.server_error", False),
        (529, "false", "provider.overloaded", False),
        (400, "true", "provider.bad_request", True),
        (409, "true", "provider.server_error", True),
        (500, "maybe", "provider.server_error", True),  # not a word the SDKs know: ignored
    ],
)
def test_x_should_retry_overrides_the_status_both_ways(status, header, code, transient):
    exc = anthropic_error(anthropic.APIStatusError, status,
                          headers={"x-should-retry": header, "retry-after": "2"})
    err = classify_provider_error(exc, "anthropic")
    assert (err.code, err.transient) == (code, transient)
    assert err.retry_after_ms == (2000 if transient else None)


def test_the_sdks_own_text_is_still_not_copied():
    exc = anthropic_error(anthropic.BadRequestError, 400, message="org-secret-name said no")
    err = classify_provider_error(exc, "anthropic")
    assert "org-secret-name" not in err.message and "providerMessage" not in err.details


def test_provider_message_is_appended_and_kept_in_details():
    exc = anthropic_error(anthropic.BadRequestError, 400)
    exc.provider_message = "`temperature` is deprecated for this model."
    err = classify_provider_error(exc, "anthropic")
    assert err.message == ("Provider 'anthropic' rejected the request as invalid (HTTP 400): "
                           "`temperature` is deprecated for this model.")
    assert err.details == {"httpStatus": 400, "providerMessage": exc.provider_message}
    assert err.to_error_data()["providerMessage"] == exc.provider_message
    assert fails_alike(err) == "model"


@pytest.mark.parametrize(
    ("status", "said", "code", "hint"),
    [
        (400, "Your credit balance is too low to access the Anthropic API.", "provider.billing",
         "Add credit"),
        (429, "You exceeded your current quota", "provider.quota_exhausted", "Raise the limit"),
        (404, 'model "qwen3:8b" not found, try pulling it first', "provider.bad_request",
         "Run `ollama pull qwen3:8b`"),
    ],
)
def test_billing_quota_and_pull_hints(status, said, code, hint):
    exc = anthropic_error(anthropic.APIStatusError, status)
    exc.provider_message = said
    err = classify_provider_error(exc, "p")
    assert (err.code, err.transient) == (code, False)
    assert hint in (err.hint or "")


def test_fails_alike_ignores_transient_and_foreign_errors():
    assert fails_alike(ProviderError("x", code="provider.auth", transient=True)) is None
    assert fails_alike(InvalidInput("x")) is None
    assert fails_alike(ProviderError("x", code="provider.unexpected", transient=False)) is None
