"""Single-flight: identical work in flight is shared by refcounted waiters.

Semantics (protocol.md "Runs"):
- the first caller starts the work; later callers with the same key attach;
- a waiter that is cancelled detaches only itself; the work is cancelled when
  its last waiter detaches;
- ``cancel(key)`` stops the work for everyone (each waiter then sees the
  work's own outcome, e.g. a "cancelled" result);
- stopped or finishing work is never joined: ``retire`` takes a flight out of
  the table while it winds down, so identical work asked for meanwhile starts
  afresh instead of inheriting the old outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Flight(Generic[T]):
    key: Hashable
    task: asyncio.Task[T]
    waiters: int = 0
    stop: Callable[[], None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[Hashable, Flight[T]] = {}

    def get(self, key: Hashable) -> Flight[T] | None:
        return self._flights.get(key)

    def __len__(self) -> int:
        return len(self._flights)

    def join(
        self,
        key: Hashable,
        start: Callable[[], Awaitable[T]],
        stop: Callable[[], None] | None = None,
        **meta: Any,
    ) -> tuple[Flight[T], bool]:
        """The flight for ``key``, starting it with ``start()`` if none; and whether it was joined."""
        current = self._flights.get(key)
        if current is not None and not current.task.done():
            return current, True
        task = asyncio.ensure_future(start())
        flight = Flight(key=key, task=task, stop=stop, meta=dict(meta))
        self._flights[key] = flight
        task.add_done_callback(lambda _task: self.retire(flight))
        return flight, False

    async def wait(self, flight: Flight[T]) -> T:
        """Wait for the flight's result as one refcounted waiter."""
        flight.waiters += 1
        detached = False
        try:
            # shield: cancelling this waiter must not cancel the shared work.
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            detached = not flight.task.done()
            raise
        finally:
            flight.waiters -= 1
            if detached and flight.waiters <= 0:
                self._stop(flight)

    def cancel(self, key: Hashable) -> bool:
        """Stop the work for every waiter."""
        flight = self._flights.get(key)
        if flight is None:
            return False
        return self.stop(flight)

    def stop(self, flight: Flight[T]) -> bool:
        """Stop this flight for every waiter; False when it had already finished."""
        if flight.task.done():
            return False
        self._stop(flight)
        return True

    def retire(self, flight: Flight[T]) -> None:
        """No caller joins this flight any more (it is winding down); its waiters still wait."""
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]

    def _stop(self, flight: Flight[T]) -> None:
        self.retire(flight)
        # The work may own a cancel scope so that it can still finish its record
        # ("cancelled") instead of vanishing; otherwise cancel the task itself.
        if flight.stop is not None:
            flight.stop()
        else:
            flight.task.cancel()

