"""Runs still being prepared, so that ``keel/cancelRun`` can stop them there.

A client knows its run's id from the moment it sends ``keel/runWorkflow`` (the extension's
Cancel button is live from then on), but the run manager only knows the run once it is
registered: after the admission slot, the history check, the target, the input check and
the budget gate, which can take seconds on a big target or a busy machine. Until then the
id names this preparation, and cancelling it ends the request with a cancelled run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from keel.errors import Cancelled

T = TypeVar("T")


class PreparingRuns:
    """Client run id -> the task preparing (and then running) that request."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task] = {}
        self._stopped: set[asyncio.Task] = set()
        self._awaited: dict[str, asyncio.Event] = {}  # ids a cancelRun waits to see

    async def registered(self, run_id: str, within_s: float) -> bool:
        """Whether a request preparing ``run_id`` starts within ``within_s`` (or already has).

        The client's Cancel can overtake its own ``keel/runWorkflow`` on the way in: that
        request still waits for its progress token (the client's answer, up to 1 s) or for
        validation when the cancel is served. Waiting briefly lets the cancel find it,
        instead of answering run.unknown while the run goes on to the end."""
        if run_id in self._tasks:
            return True
        seen = self._awaited.setdefault(run_id, asyncio.Event())
        try:
            await asyncio.wait_for(seen.wait(), within_s)
        except TimeoutError:
            return False
        finally:
            if self._awaited.get(run_id) is seen and not seen.is_set():
                del self._awaited[run_id]
        return True

    async def prepare(self, run_id: str | None, start: Callable[[], Awaitable[T]]) -> T:
        """Run ``start()`` as a task a ``stop(run_id)`` can cancel.

        Stopped, the caller gets ``Cancelled`` (``run.cancelled``); the caller's own
        cancellation (``$/cancelRequest``, shutdown) still propagates as such.
        """
        if run_id is None or run_id in self._tasks:
            return await start()  # a reused id is refused further in (run.id_in_use)
        task: asyncio.Task[T] = asyncio.ensure_future(start())
        self._tasks[run_id] = task
        seen = self._awaited.pop(run_id, None)
        if seen is not None:
            seen.set()
        try:
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:  # our caller's own cancellation: stop it too
                task.cancel()
                await asyncio.wait({task})
                raise
        finally:
            if self._tasks.get(run_id) is task:
                del self._tasks[run_id]
        stopped = task in self._stopped
        self._stopped.discard(task)
        if task.cancelled() and stopped:
            raise Cancelled("The run was cancelled before it started.", code="run.cancelled")
        return task.result()

    async def stop(self, run_id: str) -> bool:
        """Cancel the preparation of ``run_id`` and wait until it has ended; False if none."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        self._stopped.add(task)
        task.cancel()
        await asyncio.wait({task})
        return True
