"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio): the Chat
Completions API (``POST {baseUrl}/chat/completions``), directly over httpx.

Parameters follow the model's capabilities (``model_facts``), never the host:
a reasoning model (o1, o3, o4-mini, gpt-5...) gets ``max_completion_tokens``
and no ``temperature`` whether it is reached directly or through a proxy; other
models get the classic ``max_tokens`` every compatible server knows.
``finish_reason`` is read: ``length`` truncates, ``content_filter`` or a
``message.refusal`` (with ``content: null``) is ``provider.refused``.
"""

from __future__ import annotations

from typing import Any

from .base import REFUSED_STOPS, Completion, CompletionRequest, billed, estimate_tokens
from .http_provider import HttpProvider, bad_response, refused, usage_of
from .model_facts import facts_of
from .usage import openai_usage


class OpenAIProvider(HttpProvider):
    default_base_url = "https://api.openai.com/v1"
    _path = "/chat/completions"

    def _auth_headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def _request_kwargs(self, request: CompletionRequest) -> dict[str, Any]:
        if facts_of(request.model).reasoning:
            kwargs: dict[str, Any] = {"max_completion_tokens": request.max_output_tokens}
        else:
            kwargs = {"max_tokens": request.max_output_tokens}
        temperature = self._temperature(request)
        if temperature is not None:
            kwargs["temperature"] = temperature
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
        choice = choices[0] if isinstance(choices, list) and choices else None
        choice = choice if isinstance(choice, dict) else {}
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        stop = choice.get("finish_reason")
        usage = openai_usage(usage_of(body), body.get("service_tier"))
        completion = Completion(
            text=text,
            # Some compatible servers omit usage: estimated, and flagged as such.
            input_tokens=usage.input_tokens if usage else (
                estimate_tokens(request.system) + estimate_tokens(request.prompt)),
            output_tokens=usage.output_tokens if usage else estimate_tokens(text),
            model=body.get("model") or request.model,
            provider=self.id,
            latency_ms=latency_ms,
            stop_reason=stop if isinstance(stop, str) else None,
            usage_estimated=usage is None,
            cache_read_tokens=usage.cache_read_tokens if usage else 0,
            service_tier=usage.service_tier if usage else None,
        )
        said = message.get("refusal")
        if isinstance(said, str) and said or stop in REFUSED_STOPS:
            why = f"finish_reason {stop}" if stop in REFUSED_STOPS else "refusal"
            raise billed(refused(self.id, said if isinstance(said, str) else text, why),
                         completion)
        if not choice:
            raise billed(bad_response(self.id, "no choices"), completion)
        if not text:
            raise billed(bad_response(self.id, "no text content"), completion)
        return completion
