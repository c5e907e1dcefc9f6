"""Per-method admission: no method can take every thread or worker and starve the others.

Each method gets at most ``LIMIT`` requests running at once; the rest wait for
a slot inside their deadline (the wait counts against it, and a cancel while
waiting leaves at once). The default thread pool has 40 threads; with at most
six thread-hungry methods at ``LIMIT`` each, one method can never hold it all.
A method whose spec says ``queued=False`` (``keel/health``, ``keel/cancelRun``:
how a user sees and stops everything else) never waits for a slot. A method
whose spec says ``admitted_by_operation`` (``keel/runWorkflow``) is handed
``acquire`` (``keel.runtime.admission.ADMIT``) instead of a slot: an identical
request joins the run in flight without waiting, and only a request that
starts a run takes a slot, which the run releases when it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from keel.protocol.methods import METHODS
from keel.runtime.admission import ADMIT, Release, once

LIMIT = 6


class Admission:
    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._slots: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, method: str) -> AsyncIterator[None]:
        spec = METHODS.get(method)  # the standard features (diagnostics, code actions) have none
        if spec is not None and not spec.queued:
            yield
            return
        if spec is not None and spec.admitted_by_operation:
            token = ADMIT.set(lambda: self.acquire(method))
            try:
                yield
            finally:
                ADMIT.reset(token)
            return
        release = await self.acquire(method)
        try:
            yield
        finally:
            release()

    async def acquire(self, method: str) -> Release:
        """Wait for a slot of ``method``; the caller (or the work it starts) releases it once."""
        semaphore = self._slots.setdefault(method, asyncio.Semaphore(self._limit))
        await semaphore.acquire()
        return once(semaphore.release)


_ADMISSIONS: WeakKeyDictionary[Any, Admission] = WeakKeyDictionary()


def admission_of(app: Any) -> Admission:
    """The admission of one app (an lsp-layer concern, so kept here rather than on the app)."""
    admission = _ADMISSIONS.get(app)
    if admission is None:
        admission = _ADMISSIONS[app] = Admission()
    return admission
