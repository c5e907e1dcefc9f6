"""The provider that serves when no provider has a key: it calls nothing.

Its ``complete`` always refuses with ``unavailable/provider.none_configured``
(not transient), so the workflow engine skips LLM stages with a stated reason
instead of retrying or failing the run.
"""

from __future__ import annotations

from collections.abc import Callable

from keel.errors import KeelError, Unavailable

from .base import Completion, CompletionRequest, ProviderKind

OFFLINE_ID = "offline"
NONE_CONFIGURED_HINT = "Set ANTHROPIC_API_KEY or configure a provider in settings.providers"


class OfflineProvider:
    def __init__(self, provider_id: str = OFFLINE_ID,
                 refusal: Callable[[], KeelError] | None = None) -> None:
        self._id = provider_id
        self._refusal = refusal  # why it stands in, when not "no provider configured"

    @property
    def id(self) -> str:
        return self._id

    @property
    def kind(self) -> ProviderKind:
        return "offline"

    def has_credentials(self) -> bool:
        return False

    def endpoint(self) -> str | None:
        return None

    async def complete(self, request: CompletionRequest) -> Completion:
        if self._refusal is not None:
            raise self._refusal()
        raise Unavailable(
            "No model provider is configured, so LLM stages cannot run.",
            code="provider.none_configured",
            transient=False,
            hint=NONE_CONFIGURED_HINT,
        )

    async def aclose(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"OfflineProvider(id={self._id!r})"
