"""The circuit breaker's state machine: unit cases and a property test against a reference model."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keel.errors import Cancelled, ConfigError, InvalidInput, ProviderError, Unavailable
from keel.resilience.breaker import (
    BreakerRegistry,
    BreakerState,
    CircuitBreaker,
    counts_as_failure,
)
from keel.runtime.clock import FakeClock

CLOSED, OPEN, HALF = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN
SERVER_ERROR = ProviderError("5xx", code="provider.server_error", transient=True)


def breaker(clock: FakeClock | None = None) -> CircuitBreaker:
    return CircuitBreaker("anthropic", clock=clock or FakeClock())


def calls(b: CircuitBreaker, *, ok: int = 0, fail: int = 0, slow_ok: int = 0) -> None:
    for _ in range(ok):
        b.record_success(b.allow())
    for _ in range(slow_ok):
        b.record_success(b.allow(), slow=True)
    for _ in range(fail):
        b.record_failure(b.allow())


def open_breaker(clock: FakeClock) -> CircuitBreaker:
    b = breaker(clock)
    calls(b, fail=5)
    assert b.state is OPEN
    return b


def test_needs_five_calls_before_a_rate_counts():
    b = breaker()
    calls(b, fail=4)
    assert b.state is CLOSED
    calls(b, fail=1)
    assert b.state is OPEN


def test_opens_at_exactly_half_failures_of_a_full_window():
    b = breaker()
    calls(b, ok=10, fail=9)
    assert (b.state, b.snapshot().calls) == (CLOSED, 19)
    calls(b, fail=1)
    assert b.state is OPEN


def test_window_slides_over_the_last_twenty_calls():
    b = breaker()
    calls(b, ok=30)
    calls(b, fail=9)
    snap = b.snapshot()
    assert (snap.state, snap.calls, snap.failure_rate) == (CLOSED, 20, pytest.approx(9 / 20))
    calls(b, fail=1)
    assert b.state is OPEN


def test_opens_at_eighty_percent_slow_calls():
    b = breaker()
    calls(b, ok=2, slow_ok=3)
    assert (b.state, b.snapshot().slow_rate) == (CLOSED, pytest.approx(0.6))
    b2 = breaker()
    calls(b2, ok=1, slow_ok=4)
    assert b2.state is OPEN


def test_open_refuses_with_time_until_half_open():
    clock = FakeClock()
    b = open_breaker(clock)
    with pytest.raises(Unavailable) as info:
        b.allow()
    assert (info.value.code, info.value.retry_after_ms, info.value.transient) == (
        "breaker.open",
        30_000,
        True,
    )
    clock.advance(18.0)
    with pytest.raises(Unavailable) as info:
        b.allow()
    assert info.value.retry_after_ms == 12_000
    assert "anthropic" in info.value.message
    assert b.snapshot().retry_after_ms == 12_000


def test_half_open_after_thirty_seconds_admits_three_probes():
    clock = FakeClock()
    b = open_breaker(clock)
    clock.advance(29.999)
    assert b.state is OPEN
    clock.advance(0.001)
    assert b.state is HALF
    permits = [b.allow(), b.allow(), b.allow()]
    assert all(p.probe for p in permits)
    with pytest.raises(Unavailable) as info:
        b.allow()
    assert (info.value.code, info.value.retry_after_ms) == ("breaker.open", None)
    for p in permits:
        b.record_success(p)
    assert b.state is CLOSED
    assert b.snapshot().calls == 0  # a fresh window


def test_any_probe_failure_reopens_for_another_thirty_seconds():
    clock = FakeClock()
    b = open_breaker(clock)
    clock.advance(30.0)
    first, second = b.allow(), b.allow()
    b.record_success(first)
    b.record_failure(second)
    assert b.state is OPEN
    with pytest.raises(Unavailable) as info:
        b.allow()
    assert info.value.retry_after_ms == 30_000


def test_three_slow_probes_reopen():
    clock = FakeClock()
    b = open_breaker(clock)
    clock.advance(30.0)
    for _ in range(3):
        b.record_success(b.allow(), slow=True)
    assert b.state is OPEN


def test_cancellations_and_caller_errors_are_not_counted():
    b = breaker()
    ignored = [
        asyncio.CancelledError(),
        Cancelled("run cancelled"),
        InvalidInput("bad params"),
        ConfigError("no model for tier"),
        ProviderError("401", code="provider.auth", transient=False),
        ProviderError("400", code="provider.bad_request", transient=False),
    ]
    for error in ignored * 3:
        b.record_error(b.allow(), error)
    assert (b.state, b.snapshot().calls) == (CLOSED, 0)


def test_an_ignored_probe_frees_its_slot():
    clock = FakeClock()
    b = open_breaker(clock)
    clock.advance(30.0)
    permits = [b.allow(), b.allow(), b.allow()]
    b.record_error(permits[0], asyncio.CancelledError())
    replacement = b.allow()
    for p in [*permits[1:], replacement]:
        b.record_success(p)
    assert b.state is CLOSED


def test_late_outcome_from_an_earlier_state_is_ignored():
    clock = FakeClock()
    b = breaker(clock)
    straggler = b.allow()
    calls(b, fail=5)
    clock.advance(30.0)
    assert b.state is HALF
    b.record_failure(straggler, slow=True)
    assert b.state is HALF


def test_transitions_reach_listeners_and_are_counted():
    clock = FakeClock()
    registry = BreakerRegistry(clock=clock)
    seen = []
    registry.add_listener(lambda name, old, new: seen.append((name, old.value, new.value)))
    b = registry.get("openai", "gpt-x")
    own = []
    b.add_listener(lambda name, old, new: own.append(new))
    calls(b, fail=5)
    clock.advance(30.0)
    for _ in range(3):
        b.record_success(b.allow())
    assert seen == [
        ("openai/gpt-x", "closed", "open"),
        ("openai/gpt-x", "open", "half_open"),
        ("openai/gpt-x", "half_open", "closed"),
    ]
    assert own == [OPEN, HALF, CLOSED]
    assert registry.transition_counts()[("closed", "open")] == 1
    assert registry.get("anthropic").state is CLOSED  # another key, another breaker


def test_a_failing_listener_does_not_break_the_breaker():
    b = breaker()

    def bad(name, old, new):
        raise RuntimeError("listener bug")

    b.add_listener(bad)
    calls(b, fail=5)
    assert b.state is OPEN


def test_registry_keys_by_provider_and_model():
    registry = BreakerRegistry(clock=FakeClock())
    assert registry.get("a") is registry.get("a")
    assert registry.get("a", "m1") is not registry.get("a", "m2")
    assert registry.get("a", "m1").name == "a/m1"
    assert {s.name for s in registry.snapshots()} == {"a", "a/m1", "a/m2"}


def test_counts_as_failure_table():
    assert counts_as_failure(SERVER_ERROR) is True
    assert (
        counts_as_failure(ProviderError("q", code="provider.quota_exhausted", transient=False))
        is True
    )
    assert (
        counts_as_failure(ProviderError("u", code="provider.unexpected", transient=False)) is True
    )
    assert counts_as_failure(ProviderError("a", code="provider.auth", transient=False)) is None
    # A proxy in the way is our configuration, not the provider's health.
    assert counts_as_failure(ProviderError("p", code="provider.proxy", transient=False)) is None
    assert counts_as_failure(ProviderError("b", code="provider.billing", transient=False)) is True
    assert counts_as_failure(Unavailable("open")) is None
    assert counts_as_failure(asyncio.CancelledError()) is None


# --- property test: the breaker agrees with a plain re-statement of the rules ---------------


class ReferenceBreaker:
    """reliability.md's rules, restated as directly as possible (no counters, no epochs)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.state = "closed"
        self.window: list[tuple[bool, bool]] = []
        self.opened_at = 0.0
        self.probes: list[bool] = []

    def current(self) -> str:
        if self.state == "open" and self.now >= self.opened_at + 30.0:
            self.state, self.probes = "half_open", []
        return self.state

    def open(self) -> None:
        self.state, self.opened_at = "open", self.now

    def call(self, kind: str) -> bool:
        if self.current() == "open":
            return False
        if kind in ("cancel", "auth"):
            return True
        failed = kind in ("failure", "slow_failure")
        slow = kind in ("slow", "slow_failure")
        if self.state == "closed":
            self.window = [*self.window, (failed, slow)][-20:]
            n = len(self.window)
            failures = sum(1 for f, _ in self.window if f)
            slows = sum(1 for _, s in self.window if s)
            if n >= 5 and (failures / n >= 0.5 or slows / n >= 0.8):
                self.open()
        elif failed:
            self.open()
        else:
            self.probes.append(slow)
            if len(self.probes) == 3:
                if sum(self.probes) / 3 >= 0.8:
                    self.open()
                else:
                    self.state, self.window = "closed", []
        return True


CALL_KINDS = ["success", "failure", "slow", "slow_failure", "cancel", "auth"]
EVENT = st.one_of(
    st.sampled_from(CALL_KINDS),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 10.0, 29.9, 30.0, 45.0])),
)
# Runs of the same event reach every failure/slow mix, including the exact
# thresholds (10 of 20, 4 of 5, ...) and windows that slide past 20 calls.
RUNS = st.lists(st.tuples(EVENT, st.integers(1, 12)), max_size=40).map(
    lambda runs: [event for event, repeat in runs for _ in range(repeat)]
)


@settings(max_examples=400, deadline=None)
@given(RUNS)
def test_breaker_agrees_with_reference_model(events):
    clock = FakeClock(start=0.0)
    real = CircuitBreaker("p", clock=clock)
    model = ReferenceBreaker()
    for event in events:
        if isinstance(event, tuple):
            clock.advance(event[1])
            model.now += event[1]
        else:
            allowed_by_model = model.call(event)
            try:
                permit = real.allow()
            except Unavailable:
                permit = None
            assert (permit is not None) == allowed_by_model, event
            if permit is not None:
                slow = event in ("slow", "slow_failure")
                if event == "cancel":
                    real.record_error(permit, asyncio.CancelledError())
                elif event == "auth":
                    real.record_error(
                        permit, ProviderError("401", code="provider.auth", transient=False)
                    )
                elif event in ("failure", "slow_failure"):
                    real.record_error(permit, SERVER_ERROR, slow=slow)
                else:
                    real.record_success(permit, slow=slow)
        assert real.state.value == model.current(), events
        if model.state == "closed":
            assert real.snapshot().calls == len(model.window)
