"""Analysis workers give the CPU to the server's event loop first.

The pool's workers are batch work: on a 2-core machine two of them can hold both
cores for seconds. The server's loop, which answers ``keel/health`` and every click,
then waits for the scheduler, not for the GIL: with 16-64 analyses in flight, for
~70 % of the time the loop stalled over 30 ms the server process did not run at all
(docs/performance.md, ``bench/health_under_load.py``). So each worker lowers its own
priority once, in the worker (``warm`` runs there, before it reports ready; the fork
server itself keeps the server's priority). It ranks the workers below the server
that started them (one session, one scheduler group), not below other programs.
"""

from __future__ import annotations

import os

WORKER_NICENESS = 10


def warm() -> None:
    lower = getattr(os, "nice", None)  # Windows has none: the workers keep their priority
    if lower is None:
        return
    try:
        lower(WORKER_NICENESS)
    except OSError:  # a sandbox that forbids it: slower health, same answers
        return
