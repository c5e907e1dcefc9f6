"""call_with_retry under a fake clock: waits chosen, Retry-After, deadline, budget, cancellation."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from keel.errors import DeadlineExceeded, ProviderError, Superseded, Unavailable
from keel.resilience.budget import BudgetConfig, RetryBudget
from keel.resilience.retry import AttemptCounter, RetryPolicy, call_with_retry
from keel.runtime.deadline import Deadline, deadline_scope


def transient(retry_after_ms: int | None = None) -> ProviderError:
    return ProviderError(
        "rate limited",
        code="provider.rate_limited",
        transient=True,
        retry_after_ms=retry_after_ms,
        provider="p",
    )


def failing(*errors: BaseException, result: str = "ok"):
    """An async fn raising the given errors in turn, then returning ``result``."""
    queue = list(errors)
    calls = []

    async def fn() -> str:
        calls.append(1)
        if queue:
            raise queue.pop(0)
        return result

    fn.calls = calls
    return fn


async def test_retries_transient_errors_with_full_jitter_windows(sleeper, rng, deadline):
    fn = failing(transient(), transient())
    seen = []
    counter = AttemptCounter()
    result = await call_with_retry(
        fn,
        policy=RetryPolicy(max_attempts=3),
        sleep=sleeper,
        rng=rng,
        deadline=deadline,
        counter=counter,
        on_retry=lambda attempt, error, wait: seen.append((attempt, error.code, wait)),
    )
    assert result == "ok"
    assert counter.attempts == 3
    assert rng.windows == [(0.0, 0.5), (0.0, 1.0)]
    assert sleeper.sleeps == [0.5, 1.0] == counter.waits_s
    assert seen == [(1, "provider.rate_limited", 0.5), (2, "provider.rate_limited", 1.0)]


async def test_jitter_window_doubles_from_half_a_second_up_to_eight(sleeper, rng, deadline):
    fn = failing(*[transient() for _ in range(7)])
    await call_with_retry(
        fn, policy=RetryPolicy(max_attempts=8), sleep=sleeper, rng=rng, deadline=deadline
    )
    assert [high for _, high in rng.windows] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_gives_up_after_max_attempts_and_raises_the_last_error(sleeper, rng, deadline):
    errors = [transient(), transient(), transient()]
    fn = failing(*errors)
    counter = AttemptCounter()
    with pytest.raises(ProviderError) as info:
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=3),
            sleep=sleeper,
            rng=rng,
            deadline=deadline,
            counter=counter,
        )
    assert info.value is errors[2]
    assert (counter.attempts, counter.stop_reason, len(sleeper.sleeps)) == (3, "attempts", 2)


@pytest.mark.parametrize(
    "error",
    [
        ProviderError("bad key", code="provider.auth", transient=False),
        ProviderError("no quota", code="provider.quota_exhausted", transient=False),
        Unavailable("breaker open", code="breaker.open", retry_after_ms=100),
        Superseded("newer estimate"),
        DeadlineExceeded("late"),
    ],
    ids=lambda e: e.code,
)
async def test_errors_that_must_not_be_retried(error, sleeper, rng, deadline):
    fn = failing(error)
    counter = AttemptCounter()
    with pytest.raises(type(error)) as info:
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=4),
            sleep=sleeper,
            rng=rng,
            deadline=deadline,
            counter=counter,
        )
    assert info.value is error
    assert (counter.attempts, sleeper.sleeps, counter.stop_reason) == (1, [], "not_retryable")


async def test_cancellation_is_never_retried(sleeper, rng, deadline):
    fn = failing(asyncio.CancelledError())
    counter = AttemptCounter()
    with pytest.raises(asyncio.CancelledError):
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=4),
            sleep=sleeper,
            rng=rng,
            deadline=deadline,
            counter=counter,
        )
    assert (counter.attempts, sleeper.sleeps) == (1, [])


async def test_foreign_exceptions_are_classified_then_retried(sleeper, rng, deadline):
    request = httpx.Request("POST", "https://api.example.test")
    original = httpx.ConnectError("refused", request=request)
    fn = failing(original, original)
    with pytest.raises(ProviderError) as info:
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=2),
            provider="openai",
            sleep=sleeper,
            rng=rng,
            deadline=deadline,
        )
    assert (info.value.code, info.value.provider) == ("provider.connection", "openai")
    assert info.value.__cause__ is original
    assert len(fn.calls) == 2


async def test_retry_after_replaces_the_jittered_wait(sleeper, rng, deadline):
    fn = failing(transient(retry_after_ms=3000))
    assert (
        await call_with_retry(fn, policy=RetryPolicy(), sleep=sleeper, rng=rng, deadline=deadline)
        == "ok"
    )
    assert sleeper.sleeps == [3.0]
    assert rng.windows == []  # no jitter drawn


async def test_retry_after_over_sixty_seconds_stops_so_the_caller_falls_back(
    sleeper, rng, deadline
):
    fn = failing(transient(retry_after_ms=61_000))
    counter = AttemptCounter()
    with pytest.raises(ProviderError):
        await call_with_retry(
            fn, policy=RetryPolicy(), sleep=sleeper, rng=rng, deadline=deadline, counter=counter
        )
    assert (counter.attempts, counter.stop_reason, sleeper.sleeps) == (
        1,
        "retry_after_too_long",
        [],
    )


async def test_retry_after_of_exactly_sixty_seconds_is_honoured(sleeper, rng, deadline):
    fn = failing(transient(retry_after_ms=60_000))
    await call_with_retry(fn, policy=RetryPolicy(), sleep=sleeper, rng=rng, deadline=deadline)
    assert sleeper.sleeps == [60.0]


async def test_retry_after_that_does_not_fit_the_deadline_stops(clock, sleeper, rng):
    short = Deadline(clock.now() + 2.0, clock)
    fn = failing(transient(retry_after_ms=5000))
    counter = AttemptCounter()
    with pytest.raises(ProviderError):
        await call_with_retry(
            fn, policy=RetryPolicy(), sleep=sleeper, rng=rng, deadline=short, counter=counter
        )
    assert (counter.stop_reason, sleeper.sleeps) == ("deadline", [])


async def test_never_sleeps_past_the_deadline(clock, sleeper, rng):
    # Windows top out at 0.5, 1, 2, 4: the first three fit in 4 s, the fourth does not.
    tight = Deadline(clock.now() + 4.0, clock)
    fn = failing(*[transient() for _ in range(9)])
    counter = AttemptCounter()
    with pytest.raises(ProviderError):
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=10),
            sleep=sleeper,
            rng=rng,
            deadline=tight,
            counter=counter,
        )
    assert sleeper.sleeps == [0.5, 1.0, 2.0]
    assert (counter.attempts, counter.stop_reason) == (4, "deadline")
    assert clock.now() < tight.at


async def test_uses_the_current_request_deadline_by_default(sleeper, rng):
    fn = failing(transient(retry_after_ms=5000))
    counter = AttemptCounter()
    async with deadline_scope(2000):
        with pytest.raises(ProviderError):
            await call_with_retry(fn, policy=RetryPolicy(), sleep=sleeper, rng=rng, counter=counter)
    assert (counter.stop_reason, sleeper.sleeps) == ("deadline", [])


async def test_budget_exhaustion_stops_retries(clock, sleeper, rng, deadline):
    budget = RetryBudget(BudgetConfig(capacity=1.0, per_request=0.0, per_success=0.0), clock)
    fn = failing(*[transient() for _ in range(5)])
    counter = AttemptCounter()
    with pytest.raises(ProviderError):
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=5),
            budget=budget,
            sleep=sleeper,
            rng=rng,
            deadline=deadline,
            counter=counter,
        )
    assert (counter.attempts, counter.stop_reason) == (2, "budget")
    assert (budget.retries_allowed, budget.retries_refused) == (1, 1)


async def test_a_success_and_the_request_deposit_into_the_budget(clock, sleeper, rng, deadline):
    budget = RetryBudget(BudgetConfig(capacity=10.0, per_request=0.25, per_success=0.5), clock)
    assert budget.try_withdraw() and budget.try_withdraw()
    await call_with_retry(
        failing(), policy=RetryPolicy(), budget=budget, sleep=sleeper, rng=rng, deadline=deadline
    )
    assert budget.tokens == pytest.approx(8.75)


async def test_concurrent_calls_keep_separate_retry_state(sleeper, rng, deadline):
    counters = [AttemptCounter(), AttemptCounter()]
    fns = [failing(transient(), transient()), failing(transient())]
    results = await asyncio.gather(
        *(
            call_with_retry(
                fn,
                policy=RetryPolicy(max_attempts=3),
                sleep=sleeper,
                rng=rng,
                deadline=deadline,
                counter=c,
            )
            for fn, c in zip(fns, counters, strict=True)
        )
    )
    assert results == ["ok", "ok"]
    assert [c.attempts for c in counters] == [3, 2]


async def test_cancellation_during_the_backoff_sleep_propagates(rng, deadline):
    slept = []

    async def cancelled_sleep(seconds: float) -> None:
        slept.append(seconds)
        raise asyncio.CancelledError()

    fn = failing(transient(), transient())
    counter = AttemptCounter()
    with pytest.raises(asyncio.CancelledError):
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=3),
            sleep=cancelled_sleep,
            rng=rng,
            deadline=deadline,
            counter=counter,
        )
    assert (counter.attempts, slept) == (1, [0.5])
