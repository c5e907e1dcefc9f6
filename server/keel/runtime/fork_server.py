"""Start the workers' fork server with nothing but the standard library loaded.

``keel serve`` starts it first thing, before the server imports anything heavy:
the fork server then imports and warms the engine on the other core while the
server loads, and the first analysis finds a worker ready sooner. Started from
``keel.runtime.workers`` (which loads structlog, ~100 ms) on a thread beside the
app's creation, it was exec'd ~250 ms after spawn instead of ~40 (issue 22).
So this module imports the standard library only (a contract test checks), and
the pool (``workers.py``) uses the same functions.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Literal

StartMethod = Literal["forkserver", "spawn"]


def default_start_method(platform: str | None = None) -> StartMethod:
    """``spawn`` on Windows and macOS, ``forkserver`` elsewhere (``workers.py`` says why)."""
    return "spawn" if (platform or sys.platform) in ("win32", "darwin") else "forkserver"


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Start processes with SIGINT blocked: the fork server and every worker inherit the mask.

    (A spawned worker too: the mask survives the exec.)

    Ctrl-C in a terminal reaches the whole process group; a worker (or the fork
    server while it imports) must not die of it with a KeyboardInterrupt
    traceback. Only the parent decides, and kills workers when it needs to.
    The mask is this thread's only; a Ctrl-C meanwhile waits until it is lifted.
    The resource tracker is started first: starting it unblocks SIGINT again.
    """
    if not hasattr(signal, "pthread_sigmask"):
        # Windows: no signal masks (nor a resource tracker). A console Ctrl-C reaches a
        # worker still importing; once started it ignores SIGINT (``worker_process.worker_main``).
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_fork_server(warm_imports: tuple[str, ...]) -> bool:
    """Start the fork server now, preloading ``warm_imports``; False where workers are spawned.

    Returns once the process is started, not warmed (two forks and execs, ~15 ms:
    the resource tracker and the fork server). A pool built later with the same
    ``warm_imports`` forks from it; with others it would fork from this one all
    the same (the preload is read once), so callers pass the pool's own list.
    OSError when it cannot start.
    """
    if default_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(list(warm_imports))
    with sigint_blocked():  # the fork server, and so every worker, must not die of Ctrl-C
        forkserver.ensure_running()
    return True
