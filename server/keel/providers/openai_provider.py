"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio): the Chat
Completions API (``POST {baseUrl}/chat/completions``), directly over httpx."""

from __future__ import annotations

import re
from typing import Any

from .base import Completion, CompletionRequest, estimate_tokens
from .http_provider import HttpProvider, bad_response, usage_of

OPENAI_API_HOST = "api.openai.com"

# Reasoning models reject `temperature` and `max_tokens`.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


class OpenAIProvider(HttpProvider):
    default_base_url = "https://api.openai.com/v1"
    _path = "/chat/completions"

    @property
    def is_official_api(self) -> bool:
        base = self._settings.base_url
        return base is None or OPENAI_API_HOST in base

    def _auth_headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def _request_kwargs(self, request: CompletionRequest) -> dict[str, Any]:
        if not self.is_official_api:
            # Compatible servers know the classic parameters; not all know the new ones.
            return {"max_tokens": request.max_output_tokens, "temperature": request.temperature}
        kwargs: dict[str, Any] = {"max_completion_tokens": request.max_output_tokens}
        if not _REASONING_MODEL.match(request.model):
            kwargs["temperature"] = request.temperature
        return kwargs

    def _payload(self, request: CompletionRequest) -> dict[str, Any]:
        messages = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        return {"model": request.model, "messages": messages, **self._request_kwargs(request)}

    def _parse(self, body: dict[str, Any], request: CompletionRequest,
               latency_ms: int) -> Completion:
        choices = body.get("choices") or []
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise bad_response(self.id, "no choices")
        choice = choices[0]
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text:
            raise bad_response(self.id, "no text content")
        usage = usage_of(body)
        input_tokens, output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(input_tokens, int) and isinstance(output_tokens, int):
            estimated = False
        else:
            # Some compatible servers omit usage; an estimate keeps cost accounting honest-ish.
            estimated = True
            input_tokens = estimate_tokens(request.system) + estimate_tokens(request.prompt)
            output_tokens = estimate_tokens(text)
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=body.get("model") or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=choice.get("finish_reason"),
            usage_estimated=estimated,
        )
