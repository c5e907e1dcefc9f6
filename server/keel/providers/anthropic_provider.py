"""Anthropic's Messages API (``POST /v1/messages``), directly over httpx.

``stop_reason`` is read on every answer: ``refusal`` is ``provider.refused``
(billed, not retried), ``max_tokens`` / ``pause_turn`` leave the completion
``truncated`` for the caller to mark. An answer without usage is priced from
estimated tokens and flagged so (``usage_estimated``).
"""

from __future__ import annotations

from typing import Any

from .base import REFUSED_STOPS, Completion, CompletionRequest, billed, estimate_tokens
from .http_provider import HttpProvider, bad_response, refused, usage_of
from .usage import anthropic_usage

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
        }
        temperature = self._temperature(request)
        if temperature is not None:
            payload["temperature"] = temperature
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
        stop = body.get("stop_reason")
        usage = anthropic_usage(usage_of(body), body.get("service_tier"))
        completion = Completion(
            text=text,
            input_tokens=usage.input_tokens if usage else (
                estimate_tokens(request.system) + estimate_tokens(request.prompt)),
            output_tokens=usage.output_tokens if usage else estimate_tokens(text),
            model=body.get("model") or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=stop if isinstance(stop, str) else None,
            usage_estimated=usage is None,
            cache_write_tokens=usage.cache_write_tokens if usage else 0,
            cache_write_1h_tokens=usage.cache_write_1h_tokens if usage else 0,
            cache_read_tokens=usage.cache_read_tokens if usage else 0,
            service_tier=usage.service_tier if usage else None,
        )
        if stop in REFUSED_STOPS:
            raise billed(refused(self.id, text, f"stop_reason {stop}"), completion)
        if not text:
            raise billed(bad_response(self.id, "no text content"), completion)
        return completion
