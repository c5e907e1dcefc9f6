"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio) through
``openai.AsyncOpenAI``, Chat Completions API."""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from .base import Completion, CompletionRequest, estimate_tokens
from .sdk_provider import SdkProvider, bad_response, sdk_timeout

OPENAI_API_HOST = "api.openai.com"

# Reasoning models reject `temperature` and `max_tokens`.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


class OpenAIProvider(SdkProvider):
    sdk_module = "openai"
    default_base_url = "https://api.openai.com/v1"

    @property
    def is_official_api(self) -> bool:
        base = self._settings.base_url
        return base is None or OPENAI_API_HOST in base

    def _build_client(self, sdk: ModuleType, api_key: str) -> Any:
        return sdk.AsyncOpenAI(
            api_key=api_key,
            base_url=self._settings.base_url,  # None → the SDK's default (or OPENAI_BASE_URL)
            max_retries=0,
            timeout=sdk_timeout(sdk),
        )

    def _request_kwargs(self, request: CompletionRequest) -> dict[str, Any]:
        if not self.is_official_api:
            # Compatible servers know the classic parameters; not all know the new ones.
            return {"max_tokens": request.max_output_tokens, "temperature": request.temperature}
        kwargs: dict[str, Any] = {"max_completion_tokens": request.max_output_tokens}
        if not _REASONING_MODEL.match(request.model):
            kwargs["temperature"] = request.temperature
        return kwargs

    async def _call(self, client: Any, request: CompletionRequest) -> Any:
        messages = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        return await client.chat.completions.create(
            model=request.model, messages=messages, **self._request_kwargs(request)
        )

    def _parse(self, response: Any, request: CompletionRequest, latency_ms: int) -> Completion:
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise bad_response(self.id, "no choices")
        choice = choices[0]
        text = getattr(getattr(choice, "message", None), "content", None)
        if not isinstance(text, str) or not text:
            raise bad_response(self.id, "no text content")
        usage = getattr(response, "usage", None)
        input_tokens = getattr(usage, "prompt_tokens", None)
        output_tokens = getattr(usage, "completion_tokens", None)
        estimated = not isinstance(input_tokens, int) or not isinstance(output_tokens, int)
        if estimated:
            # Some compatible servers omit usage; an estimate keeps cost accounting honest-ish.
            input_tokens = estimate_tokens(request.system) + estimate_tokens(request.prompt)
            output_tokens = estimate_tokens(text)
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=getattr(response, "model", None) or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=getattr(choice, "finish_reason", None),
            usage_estimated=estimated,
        )
