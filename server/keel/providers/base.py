"""What every model provider looks like to the rest of Keel.

A provider turns one ``CompletionRequest`` into one ``Completion`` or raises a
``keel.errors.KeelError``. It does not retry, time out or fall back: those live
in ``keel.resilience`` and the caller's deadline scope. Its SDK client (if any)
is built lazily so that importing this package costs nothing at server start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar, runtime_checkable

from keel.observability.redaction import REDACTOR

ProviderKind = Literal["anthropic", "openai", "offline"]
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class CompletionRequest:
    system: str
    prompt: str
    max_output_tokens: int
    model: str
    # None: not sent, the model's default applies (newer models reject the parameter).
    temperature: float | None = None
    stage_id: str | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    provider: str
    latency_ms: int
    stop_reason: str | None
    # True when the server reported no usage and the counts are our len/4 estimate.
    usage_estimated: bool = False
    # Of input_tokens (all prompt tokens), those written to / read from the prompt cache;
    # cache_write_1h_tokens is the part of cache_write_tokens kept for an hour (Anthropic).
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    service_tier: str | None = None  # e.g. batch, flex, priority: priced differently

    def __post_init__(self) -> None:
        # The provider boundary: an answer that echoes a key (a prompt injection, a model
        # repeating its context) is masked before the report, the wire and history see it.
        object.__setattr__(self, "text", REDACTOR.generated_text(self.text))

    @property
    def truncated(self) -> bool:
        """The answer stopped before the model finished (its output limit, a paused turn)."""
        return self.stop_reason in TRUNCATED_STOPS


# Anthropic stop_reason / OpenAI finish_reason values meaning "not finished".
TRUNCATED_STOPS = frozenset({"max_tokens", "length", "pause_turn",
                             "model_context_window_exceeded"})
# ... and meaning "declined": the answer is a refusal, not an answer.
REFUSED_STOPS = frozenset({"refusal", "content_filter"})


@runtime_checkable
class Provider(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> ProviderKind: ...

    async def complete(self, request: CompletionRequest) -> Completion: ...

    def has_credentials(self) -> bool: ...

    def endpoint(self) -> str | None:
        """The base URL preflight checks for reachability; None when nothing is called."""
        ...

    async def aclose(self) -> None: ...


def billed(error: E, completion: Completion) -> E:
    """Mark ``error`` as a failure the provider still charged for (refusal, truncation,
    an unusable answer): whoever records the call records its usage and cost. Without
    reported usage nothing is known to be billed, so nothing is attached."""
    if not completion.usage_estimated:
        error.billed = completion  # type: ignore[attr-defined]
    return error


def billed_of(error: BaseException) -> Completion | None:
    value = getattr(error, "billed", None)
    return value if isinstance(value, Completion) else None


def estimate_tokens(text: str) -> int:
    """The ~4 characters per token rule the chaos server and usage fallbacks share."""
    return (len(text) + 3) // 4
