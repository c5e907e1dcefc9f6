"""Anthropic through the official SDK (``anthropic.AsyncAnthropic``), Messages API."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from .base import Completion, CompletionRequest
from .sdk_provider import SdkProvider, bad_response, sdk_timeout


class AnthropicProvider(SdkProvider):
    sdk_module = "anthropic"
    default_base_url = "https://api.anthropic.com"

    _takes_temperature = False

    def _build_client(self, sdk: ModuleType, api_key: str) -> Any:
        client = sdk.AsyncAnthropic(
            api_key=api_key,
            base_url=self._settings.base_url,  # None → the SDK's default
            max_retries=0,
            timeout=sdk_timeout(sdk),
        )
        # SDK 2.x dropped `temperature` from messages.create (and rejects it);
        # older SDKs take it. Ask the signature once instead of pinning a version.
        params = inspect.signature(client.messages.create).parameters
        self._takes_temperature = "temperature" in params
        return client

    async def _call(self, client: Any, request: CompletionRequest) -> Any:
        kwargs: dict[str, Any] = {}
        if request.system:
            kwargs["system"] = request.system
        if self._takes_temperature:
            kwargs["temperature"] = request.temperature
        return await client.messages.create(
            model=request.model,
            max_tokens=request.max_output_tokens,
            messages=[{"role": "user", "content": request.prompt}],
            **kwargs,
        )

    def _parse(self, response: Any, request: CompletionRequest, latency_ms: int) -> Completion:
        blocks = getattr(response, "content", None) or []
        text = "".join(
            getattr(block, "text", "") or ""
            for block in blocks
            if getattr(block, "type", None) == "text"
        )
        if not text:
            raise bad_response(self.id, "no text content")
        usage = getattr(response, "usage", None)
        input_tokens = getattr(usage, "input_tokens", None)
        output_tokens = getattr(usage, "output_tokens", None)
        if not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
            raise bad_response(self.id, "no token usage")
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=getattr(response, "model", None) or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=getattr(response, "stop_reason", None),
        )
