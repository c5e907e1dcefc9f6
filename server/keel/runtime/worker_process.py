"""What a worker process runs: warm up, then answer calls until the parent goes away.

Apart from the pool (``workers.py``, which the server imports), so that a worker
and the fork server it is forked from load the standard library, ``keel.errors``
and what they are asked to warm, nothing more: the pool's asyncio and structlog
(~60 ms) would add to the fork server's warm-up, which the first analysis after
start waits for (issue 22). A contract test checks what this module loads.
"""

from __future__ import annotations

import importlib
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from keel.entry_hooks import install_entry_hooks
from keel.errors import InternalError, KeelError


def worker_main(conn: Connection, warm_imports: tuple[str, ...]) -> None:
    # Ctrl-C belongs to the parent, which kills us when it needs to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker is a process Keel starts: its logs go to stderr, never to the stdout
    # it inherited (the CLI's --json output).
    install_entry_hooks()
    idle: list[tuple[Callable[[], bool], float]] = []
    for name in warm_imports:
        module = importlib.import_module(name)
        warm = getattr(module, "warm", None)
        if callable(warm):
            warm()
        step = getattr(module, "idle_step", None)
        if callable(step):
            idle.append((step, float(getattr(module, "IDLE_S", 0.5))))
    try:
        conn.send(("ready", None))
    except OSError:
        return  # the parent left while we warmed up (e.g. Ctrl-C): no traceback, just go
    while True:
        try:
            if idle and not conn.poll(idle[0][1]):
                # Idle: a module's work for later requests (its ``idle_step``), one step at a
                # time, so a request that comes meanwhile waits for one step at most.
                if not idle_step(idle[0][0]):
                    idle.pop(0)
                continue
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except KeelError as exc:
            reply = ("err", exc)
        except Exception as exc:  # noqa: BLE001 (the worker's boundary: the parent gets an InternalError)
            reply = ("err", InternalError(f"worker failed: {type(exc).__name__}: {exc}"))
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 (e.g. an unpicklable result: reported, not lost)
            conn.send(("err", InternalError(f"worker result could not be sent: {type(exc).__name__}")))


def idle_step(step: Callable[[], bool]) -> bool:
    """Run one idle step; whether there is more. A failing step ends that module's idle work:
    it is an optimisation, and the request that needs the module reports the failure."""
    try:
        return step()
    except Exception:  # noqa: BLE001 (the worker's boundary)
        return False
