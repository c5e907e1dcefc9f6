"""Canned provider answers in the real shapes users meet, for conformance tests and drills.

Each is what a real server (or what sits in front of it) sends: a proxy's HTML
page, Ollama's plain-text 404 when ``/v1`` is missing from ``baseUrl``, the
APIs' JSON errors with their own words, ``x-should-retry``. Play them with
``ChaosServer.reply_with``.
"""

from __future__ import annotations

import json
from typing import Any

from .responses import Reply

_PROXY_407 = (b"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head>\n"
              b"<title>407 Proxy Authentication Required</title>\n</head><body>\n"
              b"<h1>Proxy Authentication Required</h1>\n<p>This server could not verify "
              b"that you are authorized to access the document requested.</p>\n</body></html>\n")
_HTML_429 = (b"<html>\n<head><title>429 Too Many Requests</title></head>\n<body>\n"
             b"<center><h1>429 Too Many Requests</h1></center>\n<hr><center>nginx</center>\n"
             b"</body>\n</html>\n")
_CREDIT = ("Your credit balance is too low to access the Anthropic API. "
           "Please go to Plans & Billing to upgrade or purchase credits.")
_QUOTA = ("You exceeded your current quota, please check your plan and billing details. "
          "For more information on this error, read the docs: "
          "https://platform.openai.com/docs/guides/error-codes/api-errors.")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def anthropic_error(status: int, kind: str, message: str, **headers: str) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": message},
            "request_id": "req_case"}
    return Reply(status, _json(body), headers={"request-id": "req_case", **headers})


def openai_error(status: int, kind: str, code: str | None, message: str,
                 **headers: str) -> Reply:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return Reply(status, _json(body), headers=dict(headers))


def proxy_407() -> Reply:
    return Reply(407, _PROXY_407, "text/html; charset=iso-8859-1",
                 {"proxy-authenticate": 'Basic realm="corp"'})


def proxy_200_html() -> Reply:
    """A captive portal or proxy login page served with 200 where JSON was expected."""
    return Reply(200, b"<html><head><title>Sign in to the network</title></head></html>\n",
                 "text/html")


def html_429(retry_after_s: int = 5) -> Reply:
    return Reply(429, _HTML_429, "text/html", {"retry-after": str(retry_after_s)})


def ollama_missing_v1() -> Reply:
    """Ollama's answer to ``POST /chat/completions`` (the route lives under ``/v1``)."""
    return Reply(404, b"404 page not found", "text/plain")


def ollama_model_not_pulled(model: str = "llama3.2") -> Reply:
    return openai_error(404, "api_error", None,
                        f'model "{model}" not found, try pulling it first')


def temperature_deprecated() -> Reply:
    return anthropic_error(400, "invalid_request_error",
                           "`temperature` is deprecated for this model.")


def credit_too_low() -> Reply:
    return anthropic_error(400, "invalid_request_error", _CREDIT)


def insufficient_quota() -> Reply:
    return openai_error(429, "insufficient_quota", "insufficient_quota", _QUOTA)


def payment_required() -> Reply:
    return Reply(402, b"Payment Required", "text/plain")


def should_retry(status: int, value: str) -> Reply:
    """An error status with ``x-should-retry`` overriding what the status suggests."""
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return anthropic_error(status, kind, f"Simulated HTTP {status}.", **{"x-should-retry": value})


def auth_401() -> Reply:
    return anthropic_error(401, "authentication_error", "invalid x-api-key")


def forbidden_403() -> Reply:
    return anthropic_error(403, "permission_error",
                           "Your API key does not have permission to use the specified resource.")


def too_large_413() -> Reply:
    return anthropic_error(413, "request_too_large", "Request exceeds the maximum allowed size.")


def ok_anthropic(text: str = "fine") -> Reply:
    return Reply(200, _json({
        "id": "msg_case", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1}}))


# Answers that are 200 OK but not (complete) answers, in the APIs' published shapes
# (Anthropic "Handling stop reasons"; OpenAI Chat Completions `finish_reason`, `refusal`).

def anthropic_message(content: list[dict[str, Any]], stop_reason: str,
                      usage: dict[str, Any] | None = None, model: str = "m") -> Reply:
    body: dict[str, Any] = {"id": "msg_case", "type": "message", "role": "assistant",
                            "model": model, "content": content, "stop_reason": stop_reason,
                            "stop_sequence": None}
    if usage is not None:
        body["usage"] = usage
    return Reply(200, _json(body))


def openai_completion(message: dict[str, Any], finish_reason: str,
                      usage: dict[str, Any] | None = None, model: str = "m",
                      **extra: Any) -> Reply:
    body: dict[str, Any] = {"id": "chatcmpl-case", "object": "chat.completion", "created": 1,
                            "model": model, "choices": [{"index": 0, "message": {
                                "role": "assistant", **message}, "finish_reason": finish_reason,
                                "logprobs": None}], **extra}
    if usage is not None:
        body["usage"] = usage
    return Reply(200, _json(body))


CUT_TEXT = "The process filters items wh"


def anthropic_refusal() -> Reply:
    """Billed 1,000 in / 200 out, no text: the case the issue saw walked across 3 models."""
    return anthropic_message([], "refusal", {"input_tokens": 1000, "output_tokens": 200})


def anthropic_truncated() -> Reply:
    return anthropic_message([{"type": "text", "text": CUT_TEXT}], "max_tokens",
                             {"input_tokens": 1000, "output_tokens": 64})


def anthropic_cached_usage() -> Reply:
    """2,000 tokens written to the cache and 50,000 read from it (issue 26's figures)."""
    return anthropic_message([{"type": "text", "text": "fine"}], "end_turn", {
        "input_tokens": 10, "output_tokens": 200, "cache_creation_input_tokens": 2000,
        "cache_read_input_tokens": 50000})


def anthropic_no_usage() -> Reply:
    return anthropic_message([{"type": "text", "text": "fine"}], "end_turn", None)


def ok_openai(text: str = "fine") -> Reply:
    return openai_completion({"content": text, "refusal": None}, "stop",
                             {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})


def openai_refusal() -> Reply:
    return openai_completion({"content": None, "refusal": "I can't help with that request."},
                             "stop", {"prompt_tokens": 1000, "completion_tokens": 12,
                                      "total_tokens": 1012})


def openai_content_filter() -> Reply:
    return openai_completion({"content": None, "refusal": None}, "content_filter",
                             {"prompt_tokens": 1000, "completion_tokens": 0,
                              "total_tokens": 1000})


def openai_truncated() -> Reply:
    return openai_completion({"content": CUT_TEXT, "refusal": None}, "length",
                             {"prompt_tokens": 1000, "completion_tokens": 64,
                              "total_tokens": 1064})


def openai_cached_usage() -> Reply:
    """100,000 prompt tokens of which 90,000 cached (issue 26's figures)."""
    return openai_completion({"content": "fine", "refusal": None}, "stop", {
        "prompt_tokens": 100_000, "completion_tokens": 200, "total_tokens": 100_200,
        "prompt_tokens_details": {"cached_tokens": 90_000, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0}}, service_tier="default")


def openai_no_usage() -> Reply:
    """What some OpenAI-compatible servers answer: no `usage` at all."""
    return openai_completion({"content": "fine"}, "stop", None)
