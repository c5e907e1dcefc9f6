"""Coalesces health changes: at most one notification per interval, the last state always sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from ..runtime.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")


class Coalescer(Generic[T]):
    def __init__(
        self,
        send: Callable[[T], None],
        interval_s: float = 0.25,
        clock: Clock = SYSTEM_CLOCK,
        call_later: Callable[[float, Callable[[], None]], object] | None = None,
    ) -> None:
        self._send = send
        self._interval = interval_s
        self._clock = clock
        self._call_later = call_later
        self._last_sent: float | None = None
        self._pending: T | None = None
        self._scheduled = False

    def push(self, value: T) -> None:
        now = self._clock.now()
        if not self._scheduled and (self._last_sent is None or now - self._last_sent >= self._interval):
            self._emit(value)
            return
        self._pending = value
        if not self._scheduled:
            self._scheduled = True
            assert self._last_sent is not None
            delay = self._interval - (now - self._last_sent)
            self._schedule(max(0.0, delay), self._flush)

    def _schedule(self, delay: float, callback: Callable[[], None]) -> None:
        if self._call_later is not None:
            self._call_later(delay, callback)
        else:
            asyncio.get_running_loop().call_later(delay, callback)

    def _flush(self) -> None:
        self._scheduled = False
        if self._pending is not None:
            value, self._pending = self._pending, None
            self._emit(value)

    def _emit(self, value: T) -> None:
        self._last_sent = self._clock.now()
        self._send(value)
