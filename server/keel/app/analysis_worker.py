"""What a fresh analysis worker process does before it is marked warm, and after.

Importing the engine is not enough: the wire models build their validators on
first use (``defer_build``), which costs a few hundred ms in a new process. A
tiny analysis at start moves that cost off the first real request, so a worker
that replaces a killed one is really ready.

The fix engine (libcst) and the static stages' batch functions (with structlog's
renderer) cost as much again (~400 ms) and no analysis needs them, so they come
after, one module at a time, once the process has been idle ``IDLE_S``:

- in the fork server (which imports this module once and forks every worker
  from it), between forks: the first worker forks as soon as the engine is warm
  (issue 22: the first analysis at start waited for libcst), and every worker
  forked afterwards starts with them, shared;
- in a worker forked before that, by the worker loop (``idle_step``), so the
  first keel/generateFix and the first run do not pay for them in the common
  case (a fix asked for seconds after the first analysis).

A request that arrives meanwhile waits for one module's import at most.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import keel.runtime.worker_process  # noqa: F401  (what each forked worker runs, once here)
from keel.advisor.engine import analyze_source

# In import order, each step a fraction of the whole (libcst's node modules are most of it).
LATER = ("libcst._nodes.expression", "libcst._nodes.statement", "libcst", "keel.advisor.fixes",
         "structlog.dev", "keel.workflows.stages_static")
IDLE_S = 0.5  # idle this long before the next step: the start's own requests come first


_warm = False  # True in the fork server once warmed, and so in every worker forked from it


def warm() -> None:
    """Build the engine's validators once per process: a worker forked from a warm fork
    server does not warm again (~20 ms on the way to the first analysis at start)."""
    global _warm
    if not _warm:
        analyze_source("def warm(x=None):\n    return x\n", "file:///keel-warm-up.py")
        _warm = True


def idle_step() -> bool:
    """Import the next module of ``LATER`` not loaded yet; whether any is left after it."""
    pending = [name for name in LATER if name not in sys.modules]
    if pending:
        importlib.import_module(pending[0])
    return len(pending) > 1


def _in_fork_server() -> bool:
    forkserver = sys.modules.get("multiprocessing.forkserver")
    main = getattr(forkserver, "main", None)
    frame: Any = sys._getframe(1)
    while frame is not None:
        if main is not None and frame.f_code is main.__code__:
            return True
        frame = frame.f_back
    return False


def _import_later_between_forks() -> None:
    """Make the fork server's wait for its next fork request import ``LATER`` while idle.

    ``multiprocessing.forkserver.main`` waits in ``selectors.DefaultSelector().select()``
    and offers no hook; its module's ``selectors`` is replaced, in this process only,
    by one whose selector imports a step whenever ``IDLE_S`` passes with no request.
    Single-threaded, between forks: no fork ever happens in the middle of an import."""
    import selectors
    import types
    from multiprocessing import forkserver

    owner = os.getpid()

    class IdleImportSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
        def select(self, timeout: float | None = None) -> list[Any]:
            more = os.getpid() == owner  # a forked child never imports here
            while more:
                ready = super().select(IDLE_S)
                if ready:
                    return ready
                more = idle_step()
            return super().select(timeout)

    forkserver.selectors = types.SimpleNamespace(  # type: ignore[attr-defined]
        DefaultSelector=IdleImportSelector, EVENT_READ=selectors.EVENT_READ)


# The worker pool's fork server imports this module once and forks every worker
# from it: warming here means each forked worker starts with built validators.
warm()
if _in_fork_server():
    _import_later_between_forks()
