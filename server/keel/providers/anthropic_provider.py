"""Anthropic's Messages API (``POST /v1/messages``), directly over httpx."""

from __future__ import annotations

from typing import Any

from .base import Completion, CompletionRequest
from .http_provider import HttpProvider, bad_response, usage_of

ANTHROPIC_VERSION = "2023-06-01"


class AnthropicProvider(HttpProvider):
    default_base_url = "https://api.anthropic.com"
    _path = "/v1/messages"

    def _auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}

    def _payload(self, request: CompletionRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_output_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
            "temperature": request.temperature,
        }
        if request.system:
            payload["system"] = request.system
        return payload

    def _parse(self, body: dict[str, Any], request: CompletionRequest,
               latency_ms: int) -> Completion:
        blocks = body.get("content") or []
        text = "".join(
            block.get("text") or ""
            for block in blocks
            if isinstance(block, dict) and block.get("type") == "text"
        ) if isinstance(blocks, list) else ""
        if not text:
            raise bad_response(self.id, "no text content")
        usage = usage_of(body)
        input_tokens = usage.get("input_tokens")
        output_tokens = usage.get("output_tokens")
        if not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
            raise bad_response(self.id, "no token usage")
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=body.get("model") or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=body.get("stop_reason"),
        )
