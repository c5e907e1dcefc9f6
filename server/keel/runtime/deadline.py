"""Deadline scopes: one absolute deadline per request, visible to everything below it.

``deadline_scope`` cancels the work when the deadline passes and raises
``DeadlineExceeded`` (a timeout is never reported as a cancel). Code deeper
down (retries, provider calls) reads ``remaining()`` so that no attempt, wait
or fallback outlives the request.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from keel.errors import DeadlineExceeded

from .clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class Deadline:
    at: float  # monotonic seconds; math.inf for none
    clock: Clock = SYSTEM_CLOCK

    @classmethod
    def after_ms(cls, ms: int | None, clock: Clock = SYSTEM_CLOCK) -> Deadline:
        if ms is None:
            return cls(math.inf, clock)
        return cls(clock.now() + ms / 1000.0, clock)

    def remaining(self) -> float:
        """Seconds left (never negative); ``inf`` when unbounded."""
        return max(0.0, self.at - self.clock.now())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def fits(self, seconds: float) -> bool:
        """True when waiting ``seconds`` still leaves time before the deadline."""
        return seconds < self.remaining()


_current: contextvars.ContextVar[Deadline] = contextvars.ContextVar(
    "keel_deadline", default=Deadline(math.inf)
)


def current_deadline() -> Deadline:
    return _current.get()


def remaining() -> float:
    return _current.get().remaining()


@asynccontextmanager
async def deadline_scope(ms: int | None, what: str = "the request", grace_ms: int = 0) -> AsyncIterator[Deadline]:
    """Run the body under a deadline of ``ms`` (or the enclosing one, if sooner).

    ``grace_ms`` delays only the cancel, not the deadline the body sees: a body
    that answers its own deadline as data (a run's ``timedOut`` result) gets
    that long to do so before it is cut off.
    """
    outer = _current.get()
    mine = Deadline.after_ms(ms)
    effective = mine if mine.at < outer.at else outer
    token = _current.set(effective)
    try:
        if math.isinf(effective.at):
            yield effective
            return
        # A CancelScope (not fail_after) so that a TimeoutError raised by the
        # body itself is never mistaken for our deadline.
        cutoff = effective.remaining() + grace_ms / 1000.0
        with anyio.CancelScope(deadline=anyio.current_time() + cutoff) as scope:
            yield effective
        if scope.cancelled_caught:
            raise DeadlineExceeded(
                f"{what} did not finish within its deadline",
                hint="Raise the timeout in settings.timeouts or narrow the target.",
            )
    finally:
        _current.reset(token)
