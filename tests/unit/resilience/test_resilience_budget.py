"""Retry budget sizing: a dead provider costs ~1.05 attempts per request, 30 % flakiness is absorbed."""

from __future__ import annotations

import random

import pytest

from keel.resilience.budget import BudgetConfig, BudgetRegistry, RetryBudget
from keel.runtime.clock import FakeClock


def run_requests(budget: RetryBudget, requests: int, fail, max_retries: int) -> tuple[int, int]:
    attempts = refused = 0
    for _ in range(requests):
        budget.on_request()
        for attempt in range(max_retries + 1):
            attempts += 1
            if not fail():
                budget.on_success()
                break
            if attempt == max_retries:
                break
            if not budget.try_withdraw():
                refused += 1
                break
    return attempts, refused


def test_a_dead_provider_costs_one_retry_per_twenty_requests_once_spent():
    budget = RetryBudget(clock=FakeClock())
    attempts, _ = run_requests(budget, 1005, fail=lambda: True, max_retries=2)
    # The first 10 requests spend the initial 20 tokens (2 retries each), leaving 0.45;
    # then 995 requests deposit 0.05 each: 0.45 + 49.75 -> 50 more retries.
    assert attempts == 1005 + 20 + 50
    steady_attempts, _ = run_requests(budget, 1000, fail=lambda: True, max_retries=2)
    assert steady_attempts == 1050


@pytest.mark.parametrize("max_retries", [1, 2, 3])
def test_thirty_percent_transient_failures_are_all_retried(max_retries):
    rnd = random.Random(7)
    budget = RetryBudget(clock=FakeClock())
    _, refused = run_requests(
        budget, 20_000, fail=lambda: rnd.random() < 0.3, max_retries=max_retries
    )
    assert refused == 0


def test_capacity_caps_deposits():
    budget = RetryBudget(BudgetConfig(capacity=2.0), FakeClock())
    for _ in range(100):
        budget.on_success()
    assert budget.tokens == 2.0


def test_optional_time_refill_uses_the_clock():
    clock = FakeClock()
    budget = RetryBudget(
        BudgetConfig(capacity=5.0, per_request=0.0, per_success=0.0, refill_per_s=0.5), clock
    )
    while budget.try_withdraw():
        pass
    assert budget.tokens == 0.0
    clock.advance(1.0)
    assert not budget.try_withdraw()
    clock.advance(1.0)
    assert budget.try_withdraw()


def test_registry_keeps_one_budget_per_provider():
    registry = BudgetRegistry(clock=FakeClock())
    assert registry.get("a") is registry.get("a")
    assert registry.get("a") is not registry.get("b")
