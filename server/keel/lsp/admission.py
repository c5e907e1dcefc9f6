"""Per-method admission: no method can take every thread or worker and starve the others.

Each method gets at most ``LIMIT`` requests running at once; the rest wait for
a slot inside their deadline (the wait counts against it, and a cancel while
waiting leaves at once). The default thread pool has 40 threads; with at most
six thread-hungry methods at ``LIMIT`` each, one method can never hold it all.
A method whose spec says ``queued=False`` (``keel/health``, ``keel/cancelRun``:
how a user sees and stops everything else) never waits for a slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from keel.protocol.methods import METHODS

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
        semaphore = self._slots.setdefault(method, asyncio.Semaphore(self._limit))
        async with semaphore:
            yield


_ADMISSIONS: WeakKeyDictionary[Any, Admission] = WeakKeyDictionary()


def admission_of(app: Any) -> Admission:
    """The admission of one app (an lsp-layer concern, so kept here rather than on the app)."""
    admission = _ADMISSIONS.get(app)
    if admission is None:
        admission = _ADMISSIONS[app] = Admission()
    return admission
