"""Our circuit breaker (reliability.md "Circuit breaker"); no library implements these rules.

One breaker per provider (and model):

* **closed**: outcomes go into a count-based sliding window of the last
  ``window`` (20) calls. Once it holds ``min_calls`` (5), the breaker opens
  when failures >= 50 % or slow calls >= 80 % of the window. A slow call is
  one whose duration exceeded the caller's threshold, whether it failed or
  not.
* **open** for ``open_s`` (30 s): ``allow()`` refuses at once with
  ``Unavailable(code="breaker.open", retry_after_ms=<ms until half-open>)``.
* **half-open**: ``half_open_probes`` (3) probe calls are admitted and judged
  on their own: any failure re-opens; when all 3 have succeeded the breaker
  closes (with a fresh window), unless >= 80 % of them were slow, which
  re-opens it too. Further calls are refused while the probes are out.

Not counted at all (``counts_as_failure`` -> None): cancellations and caller
errors (validation, config, auth, bad request); an ignored half-open probe
frees its slot for another probe.

``allow()`` returns a ``Permit`` stamped with the state's epoch; an outcome
recorded with a permit from an earlier epoch (a call admitted before the last
transition, finishing late) is ignored, so slow stragglers never judge probes.

Time comes from an injectable ``Clock``; transitions are logged, counted in
``transitions`` and sent to ``on_state_change(name, old, new)`` listeners.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from keel.errors import (
    Cancelled,
    ConfigError,
    ContentModified,
    InvalidInput,
    ProviderError,
    Unavailable,
)
from keel.runtime.clock import SYSTEM_CLOCK, Clock

log = structlog.get_logger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


StateListener = Callable[[str, BreakerState, BreakerState], None]
# Our configuration, not the provider's health: a breaker opened by them would hide the fix.
CALLER_ERROR_CODES = frozenset({"provider.auth", "provider.bad_request", "provider.proxy"})


@dataclass(frozen=True)
class BreakerConfig:
    window: int = 20
    min_calls: int = 5
    failure_rate: float = 0.5
    slow_rate: float = 0.8
    open_s: float = 30.0
    half_open_probes: int = 3


@dataclass(frozen=True)
class Permit:
    epoch: int
    probe: bool


@dataclass(frozen=True)
class BreakerSnapshot:
    name: str
    state: BreakerState
    failure_rate: float
    slow_rate: float
    calls: int
    retry_after_ms: int | None


def counts_as_failure(error: BaseException) -> bool | None:
    """True: a provider failure. None: not the provider's fault, not counted."""
    if not isinstance(error, Exception) or isinstance(error, Cancelled | Unavailable):
        return None
    if isinstance(error, InvalidInput | ConfigError | ContentModified):
        return None
    if isinstance(error, ProviderError) and error.code in CALLER_ERROR_CODES:
        return None
    return True


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        clock: Clock = SYSTEM_CLOCK,
        listeners: list[StateListener] | None = None,
    ) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self._clock = clock
        self._shared_listeners = listeners if listeners is not None else []
        self._own_listeners: list[StateListener] = []
        self.transitions: Counter[tuple[str, str]] = Counter()
        self._state = BreakerState.CLOSED
        self._epoch = 0
        self._window: deque[tuple[bool, bool]] = deque()  # (failed, slow)
        self._failures = 0
        self._slow = 0
        self._opened_at = 0.0
        self._probes_out = 0
        self._probe_results: list[bool] = []  # slow flag of each successful probe

    @property
    def state(self) -> BreakerState:
        self._tick()
        return self._state

    def add_listener(self, listener: StateListener) -> None:
        self._own_listeners.append(listener)

    def allow(self) -> Permit:
        """Admit a call or raise ``Unavailable(code="breaker.open")`` at once."""
        self._tick()
        if self._state is BreakerState.CLOSED:
            return Permit(self._epoch, probe=False)
        if (
            self._state is BreakerState.HALF_OPEN
            and self._probes_out < self.config.half_open_probes
        ):
            self._probes_out += 1
            return Permit(self._epoch, probe=True)
        raise self._refusal()

    def raise_if_open(self) -> None:
        """Refuse like ``allow()`` while open, without taking a half-open probe slot.

        For a call already admitted that is about to retry: when other calls have
        opened the breaker meanwhile, it stops and falls back instead.
        """
        self._tick()
        if self._state is BreakerState.OPEN:
            raise self._refusal()

    def _refusal(self) -> Unavailable:
        retry_after_ms = self._retry_after_ms()
        wait = f"another {math.ceil(retry_after_ms / 1000)} s" if retry_after_ms else "a moment"
        return Unavailable(
            f"Provider '{self.name}' is failing repeatedly, so Keel paused calls to it for {wait}.",
            code="breaker.open",
            retry_after_ms=retry_after_ms,
            hint="Check the provider's status page or configure another provider.",
        )

    def record_success(self, permit: Permit | None = None, *, slow: bool = False) -> None:
        self._record(permit, failed=False, slow=slow)

    def record_failure(self, permit: Permit | None = None, *, slow: bool = False) -> None:
        self._record(permit, failed=True, slow=slow)

    def record_ignored(self, permit: Permit | None = None) -> None:
        """A cancellation or caller error: no verdict; frees a half-open probe slot."""
        self._tick()
        if not self._current(permit) or self._state is not BreakerState.HALF_OPEN:
            return
        if permit is None or permit.probe:
            self._probes_out = max(0, self._probes_out - 1)

    def record_error(
        self, permit: Permit | None, error: BaseException, *, slow: bool = False
    ) -> None:
        if counts_as_failure(error):
            self.record_failure(permit, slow=slow)
        else:
            self.record_ignored(permit)

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        calls = len(self._window)
        return BreakerSnapshot(
            name=self.name,
            state=state,
            failure_rate=self._failures / calls if calls else 0.0,
            slow_rate=self._slow / calls if calls else 0.0,
            calls=calls,
            retry_after_ms=self._retry_after_ms() if state is BreakerState.OPEN else None,
        )

    def _record(self, permit: Permit | None, *, failed: bool, slow: bool) -> None:
        self._tick()
        if not self._current(permit):
            return
        if self._state is BreakerState.CLOSED:
            self._push(failed, slow)
            if self._should_open():
                self._transition(BreakerState.OPEN)
        elif self._state is BreakerState.HALF_OPEN:
            self._judge_probe(failed, slow)

    def _current(self, permit: Permit | None) -> bool:
        return permit is None or permit.epoch == self._epoch

    def _push(self, failed: bool, slow: bool) -> None:
        if len(self._window) >= self.config.window:
            old_failed, old_slow = self._window.popleft()
            self._failures -= old_failed
            self._slow -= old_slow
        self._window.append((failed, slow))
        self._failures += failed
        self._slow += slow

    def _should_open(self) -> bool:
        calls = len(self._window)
        if calls < self.config.min_calls:
            return False
        return (
            self._failures / calls >= self.config.failure_rate
            or self._slow / calls >= self.config.slow_rate
        )

    def _judge_probe(self, failed: bool, slow: bool) -> None:
        if failed:
            self._transition(BreakerState.OPEN)
            return
        self._probe_results.append(slow)
        if len(self._probe_results) < self.config.half_open_probes:
            return
        slow_share = sum(self._probe_results) / len(self._probe_results)
        if slow_share >= self.config.slow_rate:
            self._transition(BreakerState.OPEN)
        else:
            self._transition(BreakerState.CLOSED)

    def _tick(self) -> None:
        if self._state is BreakerState.OPEN and self._clock.now() >= self._reopen_at():
            self._transition(BreakerState.HALF_OPEN)

    def _reopen_at(self) -> float:
        return self._opened_at + self.config.open_s

    def _retry_after_ms(self) -> int | None:
        if self._state is not BreakerState.OPEN:
            return None
        return max(1, math.ceil((self._reopen_at() - self._clock.now()) * 1000))

    def _transition(self, new: BreakerState) -> None:
        old = self._state
        self._state = new
        self._epoch += 1
        if new is BreakerState.OPEN:
            self._opened_at = self._clock.now()
        if new is BreakerState.HALF_OPEN:
            self._probes_out = 0
            self._probe_results = []
        if new is BreakerState.CLOSED:
            self._window.clear()
            self._failures = self._slow = 0
        self.transitions[(old.value, new.value)] += 1
        log.info("breaker.transition", breaker=self.name, old=old.value, new=new.value)
        for listener in [*self._shared_listeners, *self._own_listeners]:
            try:
                listener(self.name, old, new)
            except Exception:  # a listener's bug must not break the breaker
                log.exception("breaker.listener_failed", breaker=self.name)


class BreakerRegistry:
    """The process's breakers, keyed by provider id (and model when given)."""

    def __init__(self, config: BreakerConfig | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config or BreakerConfig()
        self.clock = clock
        self._listeners: list[StateListener] = []
        self._breakers: dict[str, CircuitBreaker] = {}

    @staticmethod
    def key(provider: str, model: str | None = None) -> str:
        return f"{provider}/{model}" if model else provider

    def get(self, provider: str, model: str | None = None) -> CircuitBreaker:
        name = self.key(provider, model)
        breaker = self._breakers.get(name)
        if breaker is None:
            # The shared list: a listener added later reaches every breaker.
            breaker = CircuitBreaker(name, self.config, self.clock, self._listeners)
            self._breakers[name] = breaker
        return breaker

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: StateListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def snapshots(self) -> list[BreakerSnapshot]:
        return [breaker.snapshot() for breaker in self._breakers.values()]

    def transition_counts(self) -> Counter[tuple[str, str]]:
        total: Counter[tuple[str, str]] = Counter()
        for breaker in self._breakers.values():
            total.update(breaker.transitions)
        return total
