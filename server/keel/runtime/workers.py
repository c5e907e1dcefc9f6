"""CPU work in worker processes that are killed on cancel.

A small pool of pre-started ("warm") processes. ``run(fn, *args)`` sends the
call to an idle worker and waits for the answer in a thread, so the event loop
never blocks. If the caller is cancelled (``$/cancelRequest``, a deadline, a
cancelled run) the worker is killed at once and a fresh one is started in the
background, so the next request finds a warm worker instead of a busy one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import anyio
import structlog

from keel.errors import InternalError, KeelError

log = structlog.get_logger(__name__)
T = TypeVar("T")


def _worker_main(conn: Connection, warm_imports: tuple[str, ...]) -> None:
    # Ctrl-C belongs to the parent, which kills us when it needs to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in warm_imports:
        module = importlib.import_module(name)
        warm = getattr(module, "warm", None)
        if callable(warm):
            warm()
    try:
        conn.send(("ready", None))
    except OSError:
        return  # the parent left while we warmed up (e.g. Ctrl-C): no traceback, just go
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except KeelError as exc:
            reply = ("err", exc)
        except Exception as exc:  # reported to the parent as an internal error
            reply = ("err", InternalError(f"worker failed: {type(exc).__name__}: {exc}"))
        try:
            conn.send(reply)
        except Exception as exc:  # e.g. an unpicklable result
            conn.send(("err", InternalError(f"worker result could not be sent: {type(exc).__name__}")))


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Start processes with SIGINT blocked: the fork server and every worker inherit the mask.

    Ctrl-C in a terminal reaches the whole process group; a worker (or the fork
    server while it imports) must not die of it with a KeyboardInterrupt
    traceback. Only the parent decides, and kills workers when it needs to.
    The mask is this thread's only; a Ctrl-C meanwhile waits until it is lifted.
    The resource tracker is started first: starting it unblocks SIGINT again.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False

    def poll_ready(self) -> bool:
        """True once the worker said it finished warming up (never blocks)."""
        if not self.ready and self.conn.poll():
            self.conn.recv()
            self.ready = True
        return self.ready

    def wait_ready(self) -> None:
        if not self.ready:
            self.conn.recv()
            self.ready = True

    def kill(self) -> None:
        # The connection is deliberately NOT closed here: a thread abandoned in
        # recv() on it may not have entered the read yet, and a closed fd number
        # is soon reused by a new worker's pipe, whose bytes it would then steal.
        # The child's death gives that thread EOF; the fd closes when the last
        # reference (that thread's) goes away.
        self.process.kill()
        # Reap it off the event loop so no zombie is left behind.
        threading.Thread(target=self.process.join, args=(5.0,), daemon=True).start()


@dataclass(frozen=True)
class PoolStats:
    size: int
    idle: int
    busy: int
    started: int
    killed: int
    completed: int


class WorkerPool:
    def __init__(self, size: int = 2, warm_imports: tuple[str, ...] = ()) -> None:
        self.size = size
        self._warm_imports = warm_imports
        # forkserver: one clean, single-threaded process imports (and warms) the
        # modules once; every worker is then a cheap fork of it, so a worker that
        # replaces a killed one is ready in milliseconds instead of re-importing.
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(list(warm_imports))
        self._idle: list[_Worker] = []
        self._busy = 0
        self._slots: asyncio.Semaphore | None = None
        self._started = 0
        self._killed = 0
        self._completed = 0
        self._closed = False
        self._spawning: set[asyncio.Task[None]] = set()
        self.start_error: str | None = None

    def _spawn_sync(self) -> _Worker:
        try:
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=_worker_main, args=(child, self._warm_imports),
                                        daemon=True, name="keel-worker")
            with _sigint_blocked():
                process.start()
        except OSError as exc:  # no processes, no memory, no fds: analysis cannot run
            self.start_error = f"cannot start a worker process: {exc.strerror or exc}"
            raise InternalError(f"Analysis workers cannot start ({exc.strerror or exc}).",
                                hint="Free memory or processes, then retry.") from None
        child.close()
        self._started += 1
        self.start_error = None
        return _Worker(process, parent)

    async def _spawn(self) -> None:
        try:
            worker = await anyio.to_thread.run_sync(self._spawn_sync)
        except InternalError:
            log.warning("worker start failed", error=self.start_error)
            return
        if self._closed or len(self._idle) + self._busy >= self.size:
            worker.kill()  # a worker started on demand already filled this slot
        else:
            self._idle.append(worker)

    def warm_up(self) -> None:
        """Start workers in the background so the first request does not pay for it."""
        for _ in range(self.size - len(self._idle) - self._busy - len(self._spawning)):
            task = asyncio.ensure_future(self._spawn())
            self._spawning.add(task)
            task.add_done_callback(self._spawning.discard)

    async def _take(self) -> _Worker:
        """A warm worker if there is one; else the oldest one still warming up; else a new one."""
        for worker in [w for w in self._idle if not w.process.is_alive()]:
            self._idle.remove(worker)
            worker.kill()
        ready = next((w for w in self._idle if w.poll_ready()), None)
        worker = ready or (self._idle[0] if self._idle else None)
        if worker is not None:
            self._idle.remove(worker)
        else:
            worker = await anyio.to_thread.run_sync(self._spawn_sync)
        return worker

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise InternalError("the worker pool is closed")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            worker = await self._take()
            self._busy += 1
            finished = False
            try:
                await anyio.to_thread.run_sync(worker.wait_ready, abandon_on_cancel=True)
                await anyio.to_thread.run_sync(worker.conn.send, (fn, args))
                status, value = await anyio.to_thread.run_sync(worker.conn.recv, abandon_on_cancel=True)
                finished = True
            except (EOFError, OSError):
                finished = False
                raise InternalError("the analysis worker died unexpectedly") from None
            finally:
                self._busy -= 1
                if finished:
                    self._completed += 1
                    self._idle.append(worker)
                else:
                    # Cancelled, timed out or died: kill it and replace it now.
                    self._killed += 1
                    worker.kill()
                    if not self._closed:
                        self.warm_up()
        if status == "err":
            raise value
        return value

    def stats(self) -> PoolStats:
        return PoolStats(self.size, len(self._idle), self._busy, self._started, self._killed, self._completed)

    def close(self) -> None:
        self._closed = True
        for worker in self._idle:
            worker.kill()
        self._idle.clear()
        for task in list(self._spawning):
            task.cancel()
