"""How an outside call is made safe: error classification, retries (tenacity, one
fresh retrier per call), circuit breakers, retry budgets, resilience profiles,
fallback chains and the stale-answer cache. reliability.md is the spec.

tenacity and anyio's fail_after/move_on_after are used only here and in runtime/.
"""

from .breaker import (
    BreakerConfig,
    BreakerRegistry,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    Permit,
    counts_as_failure,
)
from .budget import BudgetConfig, BudgetRegistry, RetryBudget
from .cache import CachedAnswer, ResponseCache, cache_key
from .classify import classify_provider_error, parse_retry_after_ms
from .fallback import (
    Candidate,
    FallbackOutcome,
    ResilienceEvent,
    call_with_fallback,
    most_relevant_error,
)
from .profiles import PROFILES, TIERS, ResilienceProfile, get_profile, plan_fallback_chain
from .retry import AttemptCounter, RetryPolicy, call_with_retry, is_retryable

__all__ = [
    "PROFILES",
    "TIERS",
    "AttemptCounter",
    "BreakerConfig",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "BudgetConfig",
    "BudgetRegistry",
    "CachedAnswer",
    "Candidate",
    "CircuitBreaker",
    "FallbackOutcome",
    "Permit",
    "ResilienceEvent",
    "ResilienceProfile",
    "ResponseCache",
    "RetryBudget",
    "RetryPolicy",
    "cache_key",
    "call_with_fallback",
    "call_with_retry",
    "classify_provider_error",
    "counts_as_failure",
    "get_profile",
    "is_retryable",
    "most_relevant_error",
    "parse_retry_after_ms",
    "plan_fallback_chain",
]
