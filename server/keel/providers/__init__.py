"""Model providers (Anthropic, OpenAI-compatible, offline) and the model registry.

Import cost matters: nothing here imports an SDK until a provider's first call.
"""

from .base import Completion, CompletionRequest, Provider, ProviderKind

__all__ = ["Completion", "CompletionRequest", "Provider", "ProviderKind"]
