"""Ctrl-C during `keel run`: the run ends ``cancelled`` and is recorded so, whenever it comes.

A terminal sends SIGINT to the whole foreground process group. The worker
processes ignore it (``keel.runtime.worker_process``); this process turns it into a
cancel of the run. A Ctrl-C that arrives before the run exists (the command
still importing, settings loading, the run not yet registered) is remembered
and applied the moment the run is registered (its ``queued`` event), so it is
never lost, never kills the process half-way, and the run is recorded
``cancelled``. ``keel.cli.run_cli`` installs the handler before it imports
the command (``install_early``); only the interpreter's own start-up and the
``keel`` package import come before it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class RunInterrupts:
    def __init__(self) -> None:
        self.requested = False
        self._cancel: Callable[[], Awaitable[object]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None
        self._loop_handles_it = False

    # -- before the event loop -------------------------------------------------
    def install(self) -> None:
        """From now on a Ctrl-C is a cancel request, not a KeyboardInterrupt."""
        self._previous = signal.signal(signal.SIGINT, self._on_signal)

    def uninstall(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self.requested = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_if_registered)

    # -- inside the event loop -------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        try:
            loop.add_signal_handler(signal.SIGINT, self._on_loop_signal)
            self._loop_handles_it = True
        except NotImplementedError:
            pass  # Windows' event loops have no signal handlers: ``_on_signal`` stays in place

    def detach(self) -> None:
        if self._loop is not None and self._loop_handles_it:
            self._loop.remove_signal_handler(signal.SIGINT)
            self.install()  # the loop's removal restored the default: keep ours until the end
        self._loop = None
        self._loop_handles_it = False

    def _on_loop_signal(self) -> None:
        self.requested = True
        log.info("ctrl-c: cancelling the run")
        self._cancel_if_registered()

    def registered(self, cancel: Callable[[], Awaitable[object]]) -> None:
        """The run exists now; a Ctrl-C that came earlier cancels it at once."""
        self._cancel = cancel
        self._cancel_if_registered()

    def _cancel_if_registered(self) -> None:
        if not self.requested or self._cancel is None:
            return
        task = asyncio.ensure_future(self._cancel())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_early: list[RunInterrupts] = []


def install_early() -> None:
    """Called by ``run_cli`` for ``keel run`` before the slow imports."""
    interrupts = RunInterrupts()
    interrupts.install()
    _early[:] = [interrupts]


def for_this_run() -> RunInterrupts:
    """The handler ``install_early`` put in place, else a new one installed now."""
    if _early:
        return _early.pop()
    interrupts = RunInterrupts()
    interrupts.install()
    return interrupts
