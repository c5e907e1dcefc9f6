"""Retries of one provider call: tenacity, a fresh ``AsyncRetrying`` per call.

``call_with_retry`` runs ``fn`` and retries it only while all of these hold:

* the error, classified at the provider boundary, is transient and is not
  ``Unavailable`` (an open breaker means "fall back", not "wait"), a deadline
  or a cancellation-like ``KeelError`` (``Superseded`` is transient too);
* attempts < ``policy.max_attempts``;
* the wait fits in the remaining deadline (no sleep ever ends past it);
* a ``Retry-After`` the provider asked for is at most 60 s (else: fall back);
* the provider's retry budget grants a token (checked last, so a token is only
  spent on a retry that really happens).

Cancellation is never retried: the predicate below only ever says yes to a
``KeelError`` instance, so ``CancelledError`` (which tenacity's own
negative exception-type predicates would retry) propagates at once.

Waits are full-jitter exponential (tenacity's ``wait_random_exponential``
window, base 0.5 s, cap 8 s) drawn from an injectable random source, and a
usable ``Retry-After`` replaces the jittered wait. ``sleep`` is injectable so
tests run on a fake clock.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import anyio
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from keel.errors import Cancelled, DeadlineExceeded, KeelError, Unavailable
from keel.runtime.deadline import Deadline, current_deadline

from .budget import RetryBudget
from .classify import classify_provider_error

T = TypeVar("T")
log = structlog.get_logger(__name__)

OnRetry = Callable[[int, KeelError, float], None]
Sleep = Callable[[float], Awaitable[None]]  # anyio.sleep, or a fake clock's


class RandomSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # first attempt included
    base_s: float = 0.5
    cap_s: float = 8.0
    max_retry_after_s: float = 60.0

    @classmethod
    def with_retries(cls, retries: int) -> RetryPolicy:
        return cls(max_attempts=retries + 1)


@dataclass
class AttemptCounter:
    """What one ``call_with_retry`` did; filled in even when it raises."""

    attempts: int = 0
    waits_s: list[float] = field(default_factory=list)
    errors: list[KeelError] = field(default_factory=list)
    stop_reason: str | None = None  # why retrying stopped with an error, if it did


def is_retryable(exc: BaseException) -> bool:
    return (
        isinstance(exc, KeelError)
        and exc.transient
        and not isinstance(exc, Unavailable | Cancelled | DeadlineExceeded)
    )


class _JitteredWait(wait_random_exponential):
    """tenacity's full-jitter window, drawn from our random source."""

    def __init__(self, policy: RetryPolicy, rng: RandomSource) -> None:
        super().__init__(multiplier=policy.base_s, max=policy.cap_s)
        self._rng = rng

    def __call__(self, retry_state: RetryCallState) -> float:
        high = super(wait_random_exponential, self).__call__(retry_state=retry_state)
        return self._rng.uniform(0.0, high)


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    budget: RetryBudget | None = None,
    provider: str = "unknown",
    on_retry: OnRetry | None = None,
    sleep: Sleep = anyio.sleep,
    rng: RandomSource | None = None,
    deadline: Deadline | None = None,
    counter: AttemptCounter | None = None,
) -> T:
    """Call ``fn`` with retries per ``policy``; raise the last ``KeelError`` when it gives up.

    Foreign exceptions from ``fn`` are classified with ``classify_provider_error``
    for ``provider``. ``deadline`` defaults to the request's current deadline.
    """
    counter = counter if counter is not None else AttemptCounter()
    deadline = deadline if deadline is not None else current_deadline()
    jitter = _JitteredWait(policy, rng if rng is not None else random.Random())
    if budget is not None:
        budget.on_request()

    async def attempt() -> T:
        counter.attempts += 1
        try:
            value = await fn()
        except Exception as exc:
            error = classify_provider_error(exc, provider)
            counter.errors.append(error)
            if not is_retryable(error):
                counter.stop_reason = "not_retryable"
            if error is exc:
                raise
            raise error from exc
        if budget is not None:
            budget.on_success()
        return value

    def wait(state: RetryCallState) -> float:
        error = _error_of(state)
        if error is not None and error.retry_after_ms is not None:
            return error.retry_after_ms / 1000.0
        return jitter(state)

    def stop(state: RetryCallState) -> bool:
        reason = _stop_reason(state, policy, deadline, budget)
        counter.stop_reason = reason
        return reason is not None

    def before_sleep(state: RetryCallState) -> None:
        error = _error_of(state)
        wait_s = state.upcoming_sleep
        counter.waits_s.append(wait_s)
        log.debug(
            "retry.scheduled",
            provider=provider,
            attempt=state.attempt_number,
            code=getattr(error, "code", None),
            wait_s=round(wait_s, 3),
        )
        if on_retry is not None and error is not None:
            on_retry(state.attempt_number, error, wait_s)

    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(is_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(attempt)


def _error_of(state: RetryCallState) -> KeelError | None:
    if state.outcome is None or not state.outcome.failed:
        return None
    exc = state.outcome.exception()
    return exc if isinstance(exc, KeelError) else None


def _stop_reason(
    state: RetryCallState,
    policy: RetryPolicy,
    deadline: Deadline,
    budget: RetryBudget | None,
) -> str | None:
    if state.attempt_number >= policy.max_attempts:
        return "attempts"
    error = _error_of(state)
    if error is not None and error.retry_after_ms is not None:
        if error.retry_after_ms / 1000.0 > policy.max_retry_after_s:
            return "retry_after_too_long"
    if not deadline.fits(state.upcoming_sleep):
        return "deadline"
    if budget is not None and not budget.try_withdraw():
        return "budget"
    return None
