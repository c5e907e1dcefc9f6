"""Benchmark: what a down provider costs once its breaker is open or its retry budget is spent.

In-process fake providers (async functions), no network, no real sleeping
(the retry sleep advances a fake clock). Prints one JSON object:

* refusal_fallback_ms: p50/p99 of a whole ``call_with_fallback`` whose first
  candidate's breaker is open and whose second answers at once (goal: p99 <= 5 ms),
  next to the same call with only the healthy candidate (the baseline), and
  added_cost_ms, their same-quantile difference;
* allow_refusal_us: p50/p99 of ``CircuitBreaker.allow()`` refusing (goal: < 1 ms);
* failures_to_open: recorded failures before a down provider's breaker opens (goal: <= 5);
* attempts_per_request_budget_spent: a down provider, breaker disabled, balanced
  profile, after the budget is spent (goal: <= 1.1);
* attempts_per_request_breaker: the same with the breaker on, one request per second;
* flaky_30pct: balanced-profile success rate with providers failing 30 % of attempts.

Run: python bench/resilience_breaker.py [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time

import structlog

from keel.errors import ProviderError, Unavailable
from keel.resilience import (
    BreakerConfig,
    BreakerRegistry,
    BudgetRegistry,
    Candidate,
    call_with_fallback,
)
from keel.runtime.clock import FakeClock

NEVER_OPENS = BreakerConfig(min_calls=10**9)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def down_error() -> ProviderError:
    return ProviderError("503", code="provider.server_error", transient=True)


async def down(candidate: Candidate) -> str:
    raise down_error()


async def healthy(candidate: Candidate) -> str:
    return "answer"


async def route(candidate: Candidate) -> str:
    return await (down if candidate.provider == "down" else healthy)(candidate)


class FakeSleep:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds)


async def timed_calls(chain, breakers, calls: int) -> list[float]:
    sleep = FakeSleep(breakers.clock)
    durations = []
    for _ in range(calls):
        start = time.perf_counter()
        outcome = await call_with_fallback(
            chain, route, profile="balanced", breakers=breakers, sleep=sleep
        )
        durations.append((time.perf_counter() - start) * 1000)
        assert outcome.provider == "healthy"
    return durations


async def refusal_cost(calls: int) -> dict:
    breakers = BreakerRegistry(clock=FakeClock())  # a frozen clock keeps the breaker open
    for _ in range(5):
        breakers.get("down").record_failure()
    chain = [("down", "capable"), ("healthy", "capable")]
    with_refusal = await timed_calls(chain, breakers, calls)
    baseline = await timed_calls([("healthy", "capable")], breakers, calls)
    refusals = []
    breaker = breakers.get("down")
    for _ in range(calls):
        start = time.perf_counter()
        try:
            breaker.allow()
        except Unavailable:
            pass
        refusals.append((time.perf_counter() - start) * 1e6)
    return {
        "refusal_fallback_ms": {
            "p50": round(percentile(with_refusal, 0.50), 4),
            "p99": round(percentile(with_refusal, 0.99), 4),
            "mean": round(statistics.fmean(with_refusal), 4),
        },
        "baseline_healthy_only_ms": {
            "p50": round(percentile(baseline, 0.50), 4),
            "p99": round(percentile(baseline, 0.99), 4),
        },
        # Same-quantile differences: what refusing and moving on adds to a call.
        "added_cost_ms": {
            "p50": round(percentile(with_refusal, 0.50) - percentile(baseline, 0.50), 4),
            "p99": round(percentile(with_refusal, 0.99) - percentile(baseline, 0.99), 4),
        },
        "allow_refusal_us": {
            "p50": round(percentile(refusals, 0.50), 2),
            "p99": round(percentile(refusals, 0.99), 2),
        },
    }


async def failures_to_open() -> int:
    breakers = BreakerRegistry(clock=FakeClock())
    breaker = breakers.get("down")
    recorded = 0
    while breaker.state.value == "closed":
        breaker.record_failure(breaker.allow())
        recorded += 1
    return recorded


async def attempts_per_request(requests: int, warmup: int, breaker_on: bool) -> float:
    """Provider calls per request to a down provider, after ``warmup`` requests spent the budget."""
    clock = FakeClock()
    breakers = BreakerRegistry(None if breaker_on else NEVER_OPENS, clock)
    budgets = BudgetRegistry(clock=clock)
    sleep = FakeSleep(clock)
    calls = [0]

    async def counted(candidate: Candidate) -> str:
        calls[0] += 1
        return await down(candidate)

    for index in range(warmup + requests):
        if index == warmup:
            calls[0] = 0
        clock.advance(1.0)
        try:
            await call_with_fallback(
                [("down", "capable")],
                counted,
                profile="balanced",
                breakers=breakers,
                budgets=budgets,
                sleep=sleep,
            )
        except (ProviderError, Unavailable):
            pass
    return calls[0] / requests


async def flaky(runs: int, providers: list[str], seed: int) -> dict:
    rnd = random.Random(seed)
    clock = FakeClock()
    breakers = BreakerRegistry(clock=clock)
    budgets = BudgetRegistry(clock=clock)
    sleep = FakeSleep(clock)

    async def attempt(candidate: Candidate) -> str:
        if rnd.random() < 0.3:
            raise down_error()
        return "answer"

    succeeded = attempts = fallbacks = 0
    for _ in range(runs):
        clock.advance(1.0)
        try:
            outcome = await call_with_fallback(
                [(p, "capable") for p in providers],
                attempt,
                profile="balanced",
                breakers=breakers,
                budgets=budgets,
                sleep=sleep,
            )
        except (ProviderError, Unavailable):
            continue
        succeeded += 1
        attempts += outcome.attempts
        fallbacks += outcome.fallback_used
    opened = breakers.transition_counts()[("closed", "open")]
    return {
        "providers": len(providers),
        "success_rate": round(succeeded / runs, 5),
        "attempts_per_success": round(attempts / max(1, succeeded), 3),
        "fallback_rate": round(fallbacks / runs, 4),
        "breaker_openings": opened,
    }


async def main(calls: int) -> dict:
    figures = await refusal_cost(calls)
    figures["failures_to_open"] = await failures_to_open()
    figures["attempts_per_request_budget_spent"] = round(
        await attempts_per_request(2000, warmup=200, breaker_on=False), 4
    )
    figures["attempts_per_request_breaker"] = round(
        await attempts_per_request(2000, warmup=200, breaker_on=True), 4
    )
    figures["flaky_30pct"] = [
        await flaky(5000, ["a"], seed=1),
        await flaky(5000, ["a", "b"], seed=1),
    ]
    figures["calls"] = calls
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)  # tails are noise when this is high
    return figures


if __name__ == "__main__":
    # stdout carries the JSON figures only; keep warnings on stderr, as the server would.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.calls)), indent=2))
