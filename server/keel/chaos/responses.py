"""Response bodies in the shapes of the real APIs (Anthropic Messages, OpenAI Chat).

Usage is reported like the real APIs do: input tokens ≈ len(all message text)/4,
output tokens from the generated text. Streaming answers are the SSE event
sequences the official SDKs' streaming helpers parse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .schedule import Fault

Api = Literal["anthropic", "openai"]
MALFORMED_BODY = b'{"id": "msg_chaos", "type": "message", "content": [{"type": "te'


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def api_of(path: str) -> Api | None:
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith("/chat/completions"):
        return "openai"
    return None


def tokens_of(text: str) -> int:
    return (len(text) + 3) // 4


def _text_of(content: Any) -> str:
    """Message content: a string, or a list of blocks/parts with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_text_of(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def input_tokens_of(api: Api, payload: dict[str, Any]) -> int:
    texts = [_text_of(m.get("content")) for m in payload.get("messages", []) if isinstance(m, dict)]
    if api == "anthropic":
        texts.append(_text_of(payload.get("system", "")))
    return tokens_of("".join(texts))


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def ok_reply(api: Api, payload: dict[str, Any], text: str, seq: int,
             report_usage: bool = True) -> Reply:
    model = str(payload.get("model") or "chaos-model")
    usage_in = input_tokens_of(api, payload)
    usage_out = tokens_of(text)
    stream = bool(payload.get("stream"))
    if api == "anthropic":
        if stream:
            return Reply(200, _anthropic_sse(seq, model, text, usage_in, usage_out),
                         "text/event-stream")
        return Reply(200, _json({
            "id": f"msg_chaos_{seq}", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": text}], "model": model,
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
        }))
    include_usage = report_usage and bool(
        (payload.get("stream_options") or {}).get("include_usage"))
    if stream:
        return Reply(200, _openai_sse(seq, model, text, usage_in, usage_out, include_usage),
                     "text/event-stream")
    body: dict[str, Any] = {
        "id": f"chatcmpl-chaos-{seq}", "object": "chat.completion", "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop", "logprobs": None}],
    }
    if report_usage:
        body["usage"] = {"prompt_tokens": usage_in, "completion_tokens": usage_out,
                         "total_tokens": usage_in + usage_out}
    return Reply(200, _json(body))


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def _sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{head}data: {body}\n\n".encode()


def _anthropic_sse(seq: int, model: str, text: str, usage_in: int, usage_out: int) -> bytes:
    events = [_sse("message_start", {"type": "message_start", "message": {
        "id": f"msg_chaos_{seq}", "type": "message", "role": "assistant", "content": [],
        "model": model, "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": usage_in, "output_tokens": 1}}})]
    events.append(_sse("content_block_start", {
        "type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
    events.append(_sse("ping", {"type": "ping"}))
    for piece in _chunks(text):
        events.append(_sse("content_block_delta", {
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": piece}}))
    events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(_sse("message_delta", {
        "type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": usage_out}}))
    events.append(_sse("message_stop", {"type": "message_stop"}))
    return b"".join(events)


def _openai_sse(seq: int, model: str, text: str, usage_in: int, usage_out: int,
                include_usage: bool) -> bytes:
    base = {"id": f"chatcmpl-chaos-{seq}", "object": "chat.completion.chunk",
            "created": 1_700_000_000, "model": model}

    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        extra = {"usage": None} if include_usage else {}
        return _sse(None, {**base, "choices": [
            {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra})

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": piece}, None) for piece in _chunks(text)]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append(_sse(None, {**base, "choices": [], "usage": {
            "prompt_tokens": usage_in, "completion_tokens": usage_out,
            "total_tokens": usage_in + usage_out}}))
    events.append(_sse(None, "[DONE]"))
    return b"".join(events)


# (status, anthropic error type, openai error type/code, message)
_ERRORS: dict[Fault, tuple[int, str, str, str]] = {
    Fault.RATE_LIMITED: (429, "rate_limit_error", "rate_limit_exceeded",
                         "Rate limit reached for requests. Please try again later."),
    Fault.SERVER_ERROR: (500, "api_error", "server_error", "Internal server error."),
    Fault.UNAVAILABLE: (503, "api_error", "server_error", "The service is temporarily unavailable."),
    Fault.OVERLOADED: (529, "overloaded_error", "server_error", "Overloaded"),
    Fault.AUTH: (401, "authentication_error", "invalid_api_key", "invalid x-api-key"),
}
_QUOTA_MESSAGE = {
    "anthropic": ("Your credit balance is too low to access the Anthropic API. "
                  "Please go to Plans & Billing to upgrade or purchase credits."),
    "openai": ("You exceeded your current quota, please check your plan and billing details."),
}


def error_reply(api: Api | None, fault: Fault, retry_after_s: int, seq: int) -> Reply:
    api = api or "openai"
    headers: dict[str, str] = {"request-id": f"req_chaos_{seq}"}
    if fault is Fault.QUOTA:
        status, a_type, o_code, message = 429, "rate_limit_error", "insufficient_quota", \
            _QUOTA_MESSAGE[api]
    else:
        status, a_type, o_code, message = _ERRORS[fault]
    if fault is Fault.RATE_LIMITED:
        headers["retry-after"] = str(retry_after_s)
    if api == "anthropic":
        body = {"type": "error", "error": {"type": a_type, "message": message},
                "request_id": headers["request-id"]}
    else:
        o_type = "insufficient_quota" if fault is Fault.QUOTA else (
            "requests" if fault is Fault.RATE_LIMITED else
            "invalid_request_error" if fault is Fault.AUTH else "server_error")
        body = {"error": {"message": message, "type": o_type, "param": None, "code": o_code}}
    return Reply(status, _json(body), headers=headers)


def not_found_reply(path: str) -> Reply:
    return Reply(404, _json({"error": {"message": f"no route for {path}", "type": "not_found"}}))


def models_reply(models: list[str], path: str, headers: dict[str, str], page_size: int) -> Reply:
    """GET /v1/models: Anthropic's paged shape when the client sends ``anthropic-version``,
    else OpenAI's (and Ollama's) list."""
    if "anthropic-version" not in headers:
        return Reply(200, _json({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "chaos"} for m in models]}))
    query = dict(part.split("=", 1) for part in path.partition("?")[2].split("&") if "=" in part)
    start = models.index(query["after_id"]) + 1 if query.get("after_id") in models else 0
    page = models[start:start + page_size]
    return Reply(200, _json({
        "data": [{"id": m, "type": "model", "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
                 for m in page],
        "has_more": start + page_size < len(models), "first_id": page[0] if page else None,
        "last_id": page[-1] if page else None}))
