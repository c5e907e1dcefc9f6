"""Deadline scopes: one absolute deadline per request, visible to everything below it.

``deadline_scope`` cancels the work when the deadline passes and raises
``DeadlineExceeded`` (a timeout is never reported as a cancel). Code deeper
down (retries, provider calls) reads ``remaining()`` so that no attempt, wait
or fallback outlives the request.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio

from keel.errors import DeadlineExceeded

from .clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")


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

    def remaining_ms(self) -> int | None:
        """Milliseconds left, rounded up; None when unbounded."""
        left = self.remaining()
        return None if math.isinf(left) else math.ceil(left * 1000)

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


async def outlast_deadline(work: Awaitable[T], grace_s: float, what: str = "the work") -> T:
    """Await work that answers its own deadline, past the request's deadline.

    A run takes its deadline from the request's and ends with a result (``timedOut``)
    when it passes; its wrap-up (closing stages, the result, the record) still takes
    a moment. Cancelled by the request's deadline, the caller would get a deadline
    error instead of that result, so this wait is shielded from enclosing deadline
    scopes. A cancel from outside (``$/cancelRequest``, shutdown) still reaches it:
    it cancels the task itself, which no scope shields. Work that overruns the
    deadline by more than ``grace_s`` ends the wait with ``DeadlineExceeded``.
    """
    deadline = _current.get()
    with anyio.CancelScope(shield=True) as scope:
        if not math.isinf(deadline.at):
            scope.deadline = anyio.current_time() + deadline.remaining() + grace_s
        return await work
    raise DeadlineExceeded(f"{what} did not answer within {grace_s:g} s of its deadline",
                           hint="Raise the timeout in settings.timeouts or narrow the target.")
