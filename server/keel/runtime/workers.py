"""CPU work in worker processes that are killed on cancel.

A small pool of pre-started ("warm") processes. ``run(fn, *args)`` sends the
call to an idle worker and waits for the answer in a thread, so the event loop
never blocks. If the caller is cancelled (``$/cancelRequest``, a deadline, a
cancelled run) the worker is killed at once and a fresh one is started in the
background, so the next request finds a warm worker instead of a busy one.

CPython rarely gives memory back to the system: one big analysis leaves its
worker at 3-4x its starting size for good. So a worker whose resident set
(``rss_of(pid)``, injected: this package reads no files; the app passes
``keel.files.resident_bytes``) grew past ``max_idle_rss`` when it finishes a
call is recycled instead of kept idle: killed and replaced by a fresh one.

How workers start (``start_method``, default ``default_start_method()``):

- ``forkserver`` on Linux and the other POSIX systems: one clean,
  single-threaded process imports (and warms) the engine once, and every
  worker is a cheap fork of it, so a worker that replaces a killed one is
  ready in milliseconds. Plain ``fork`` is never used: the server has threads,
  and a fork of a threaded process can inherit a lock held by another thread.
- ``spawn`` on Windows, which has no fork at all (``forkserver`` does not
  exist there), and on macOS, where forking a process that has loaded the
  system frameworks is unsafe (CPython's own default there is ``spawn`` since
  3.8, for that reason). Each worker is a fresh interpreter that imports and
  warms the engine itself: slower to replace, same answers.

Only Linux is tested with both; macOS and Windows run the ``spawn`` path that
the tests exercise on Linux (README, "Supported platforms").
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import multiprocessing
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from keel.errors import InternalError

from .fork_server import StartMethod, default_start_method, sigint_blocked
from .threads import in_thread
from .worker_process import worker_main

if TYPE_CHECKING:  # ForkServerContext does not exist on Windows
    from multiprocessing.context import ForkServerContext, SpawnContext

log = structlog.get_logger(__name__)
T = TypeVar("T")
# A fresh worker is ~35-40 MB, an editor-sized analysis leaves it under 50 MB; one
# 50k-line analysis leaves it at 90-130 MB. A recycle costs a fork (a few ms).
DEFAULT_MAX_IDLE_RSS = 64 * 1024 * 1024


def release_freed_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc ``malloc_trim``); False where it cannot.

    After one big result (thousands of findings built, sent and dropped) the
    freed memory stays in the process's heap for good; the server is long-lived,
    so that is RSS the user pays for all day. Blocking (a few ms): call it on a thread.
    """
    gc.collect()
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if name is None:
        return False
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # musl and others: no malloc_trim
        return False
    trim(0)  # 1 if it released something, 0 if there was nothing to release
    return True


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
    recycled: int = 0
    starting: int = 0  # processes being started (warm-up or on demand)


class WorkerPool:
    def __init__(self, size: int = 2, warm_imports: tuple[str, ...] = (),
                 max_idle_rss: int | None = DEFAULT_MAX_IDLE_RSS,
                 rss_of: Callable[[int], int | None] | None = None,
                 start_method: StartMethod | None = None) -> None:
        self.size = size
        self.max_idle_rss = max_idle_rss
        self._rss_of = rss_of
        self._warm_imports = warm_imports
        self.start_method: StartMethod = start_method or default_start_method()
        if self.start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"worker start method {self.start_method!r} does not exist on "
                             f"{sys.platform}; use one of {multiprocessing.get_all_start_methods()}")
        self._ctx: SpawnContext | ForkServerContext
        if self.start_method == "forkserver":
            forkserver = multiprocessing.get_context("forkserver")
            # The fork server imports (and warms) the modules once; each worker forks from it.
            forkserver.set_forkserver_preload(list(warm_imports))
            self._ctx = forkserver
        else:
            self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._busy = 0
        self._slots: asyncio.Semaphore | None = None
        self._started = 0
        self._killed = 0
        self._completed = 0
        self._recycled = 0
        self._closed = False
        self._spawning: set[asyncio.Task[None]] = set()
        self._on_demand = 0
        self._change = asyncio.Event()
        self.start_error: str | None = None

    def _spawn_sync(self) -> _Worker:
        try:
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=worker_main, args=(child, self._warm_imports),
                                        daemon=True, name="keel-worker")
            with sigint_blocked():
                process.start()
        except OSError as exc:  # no processes, no memory, no fds: analysis cannot run
            self.start_error = f"cannot start a worker process: {exc.strerror or exc}"
            raise InternalError(f"Analysis workers cannot start ({exc.strerror or exc}).",
                                hint="Free memory or processes, then retry.") from None
        child.close()
        self._started += 1
        self.start_error = None
        return _Worker(process, parent)

    def _processes(self) -> int:
        """Worker processes alive or starting: idle, busy, warming up, started on demand."""
        return len(self._idle) + self._busy + len(self._spawning) + self._on_demand

    def _changed(self) -> None:
        """Wake the runs waiting for a worker (one was added, or a start ended)."""
        self._change.set()
        self._change = asyncio.Event()

    async def _spawn(self) -> None:
        try:
            worker = await in_thread(self._spawn_sync, on_abandoned=_Worker.kill)
        except InternalError:
            log.warning("worker start failed", error=self.start_error)
            return
        # No longer starting: it is counted as idle from here (or killed as a surplus).
        self._spawning.discard(asyncio.current_task())
        if self._closed or self._processes() >= self.size:
            worker.kill()
        else:
            self._idle.append(worker)

    def warm_up(self) -> None:
        """Start workers in the background so the first request does not pay for it."""
        for _ in range(self.size - self._processes()):
            task = asyncio.ensure_future(self._spawn())
            self._spawning.add(task)
            task.add_done_callback(self._spawn_done)

    def _spawn_done(self, task: asyncio.Task[None]) -> None:
        self._spawning.discard(task)
        self._changed()

    async def _take(self) -> _Worker:
        """A warm worker if there is one; else the oldest one still warming up; else wait for
        a start already under way; else (nothing starting) a new one for this slot.

        Never more processes than ``size``: a run that finds none idle while the warm-up
        is starting them waits for one instead of starting one more beside them.
        """
        while True:
            for worker in [w for w in self._idle if not w.process.is_alive()]:
                self._idle.remove(worker)
                worker.kill()
            ready = next((w for w in self._idle if w.poll_ready()), None)
            waiting = ready or (self._idle[0] if self._idle else None)
            if waiting is not None:
                self._idle.remove(waiting)
                return waiting
            if not self._spawning:
                break
            await self._change.wait()
        self._on_demand += 1
        try:
            return await in_thread(self._spawn_sync, on_abandoned=_Worker.kill)
        finally:
            self._on_demand -= 1

    @staticmethod
    def _round_trip(worker: _Worker, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
        # One thread hop for the whole call: each hop is a wake-up of the loop and of a
        # thread, and on a loaded machine each wake-up waits for a core.
        worker.wait_ready()
        worker.conn.send((fn, args))
        reply: tuple[str, Any] = worker.conn.recv()
        return reply

    def ready(self) -> bool:
        """Whether a worker is warm and idle now (never blocks)."""
        return any(w.poll_ready() for w in self._idle)

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
                status, value = await in_thread(self._round_trip, worker, fn, args)
                finished = True
            except (EOFError, OSError):
                finished = False
                raise InternalError("the analysis worker died unexpectedly") from None
            finally:
                self._busy -= 1
                self._completed += finished
                if finished and not self._grew_too_big(worker) and self._processes() < self.size:
                    self._idle.append(worker)
                    self._changed()
                else:
                    # Cancelled, timed out, died, or too big to keep: replace it now.
                    if finished:
                        self._recycled += 1
                    else:
                        self._killed += 1
                    worker.kill()
                    if not self._closed:
                        self.warm_up()
        if status == "err":
            raise value
        result: T = value  # what fn returned, unpickled
        return result

    def _grew_too_big(self, worker: _Worker) -> bool:
        if self.max_idle_rss is None or self._rss_of is None:
            return False
        rss = self._rss_of(worker.process.pid)
        if rss is None or rss <= self.max_idle_rss:
            return False
        log.info("worker recycled", rss_mb=rss // (1024 * 1024),
                 limit_mb=self.max_idle_rss // (1024 * 1024))
        return True

    def stats(self) -> PoolStats:
        return PoolStats(self.size, len(self._idle), self._busy, self._started, self._killed,
                         self._completed, self._recycled, len(self._spawning) + self._on_demand)

    def close(self) -> None:
        self._closed = True
        for worker in self._idle:
            worker.kill()
        self._idle.clear()
        for task in list(self._spawning):
            task.cancel()
