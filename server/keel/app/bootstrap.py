"""The server's app: built before ``initialize`` is answered, so it builds only what is cheap.

Light on purpose (the app's state is imported by ``create_app``): the fast start
imports this module first, to start the analysis workers' fork server before
anything heavy loads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import KeelApp

# What every analysis worker imports and warms, the entry hooks first: KeelApp's pool is
# built with the same list (tests/unit/app/test_bootstrap.py checks), so it forks from
# the fork server started here.
WORKER_IMPORTS = ("keel.runtime.worker_entry", "keel.app.analysis_worker", "keel.app.worker_priority")


def spare_core() -> bool:
    """Whether the machine is not saturated (1-minute load average below the usable cores).

    Started beside the server's own loading, the fork server only pays when it has a
    core of its own: on a busy machine it takes CPU from the loading instead, and
    every early request (an estimate's 3 s deadline) comes later while only the
    first analysis comes sooner (docs/performance.md, issue 22)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average (and no fork server)
        return True
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # Not `load + 1 <= cores`: back-to-back starts (a reload, the bench) keep a quiet
    # 2-core machine's average near 1, and a load near the core count still has idle time.
    return load < cores


def start_analysis_workers() -> bool:
    """Start the workers' fork server now when a core is spare (blocking for a fork and an
    exec: call it on a thread); whether it was started.

    The fork server imports and warms the engine on the other core while the server
    loads pygls and the app, so the first analysis does not wait for the pool to
    start after ``initialized``. False on a busy machine (``spare_core``), where it
    cannot (no fork server on Windows and macOS), or when the process could not
    start: the pool then starts at ``initialized`` as it always did (and reports a
    failure on first use)."""
    if not spare_core():
        return False
    from keel.runtime.fork_server import start_fork_server

    try:
        return start_fork_server(WORKER_IMPORTS)
    except OSError:
        return False


def create_app(**kwargs) -> KeelApp:
    """A ``KeelApp`` for ``keel serve`` (``kwargs`` are its constructor arguments).

    Nothing else is wired here: the server starts storage, telemetry and the health
    components at ``initialized`` (``keel.lsp.server``), and the rest is built on first
    use (``keel.app.services``), so that ``initialize`` is answered before anything heavy
    is imported."""
    from .state import KeelApp

    return KeelApp(**kwargs)
