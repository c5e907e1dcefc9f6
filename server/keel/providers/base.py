"""What every model provider looks like to the rest of Keel.

A provider turns one ``CompletionRequest`` into one ``Completion`` or raises a
``keel.errors.KeelError``. It does not retry, time out or fall back: those live
in ``keel.resilience`` and the caller's deadline scope. Its SDK client (if any)
is built lazily so that importing this package costs nothing at server start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from keel.observability.redaction import REDACTOR

ProviderKind = Literal["anthropic", "openai", "offline"]


@dataclass(frozen=True)
class CompletionRequest:
    system: str
    prompt: str
    max_output_tokens: int
    model: str
    temperature: float = 0.0
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

    def __post_init__(self) -> None:
        # The provider boundary: an answer that echoes a key (a prompt injection, a model
        # repeating its context) is masked before the report, the wire and history see it.
        object.__setattr__(self, "text", REDACTOR.generated_text(self.text))


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


def estimate_tokens(text: str) -> int:
    """The ~4 characters per token rule the chaos server and usage fallbacks share."""
    return (len(text) + 3) // 4
