"""Fast start: answer ``initialize`` and ``keel/health`` while pygls and the app are still loading.

Loading pygls, lsprotocol, pydantic and the app takes 1–2 s on a busy
machine. ``keel serve`` on stdio loads all of that in a thread while this
module, which imports the standard library and keel's own light modules only
(a contract test runs it in a fresh interpreter and checks), reads the first
message and, if it is ``initialize``, answers it with ``capabilities.py``'s
dict, the one the loaded server answers with too. The same message is then
handed to pygls, told that it was answered, so the workspace and settings are
set up exactly as on the slow path.

Messages that arrive meanwhile are read off the wire at once and stamped
(their deadlines run from then), held, and served once loading is done;
``early_deadlines.py`` answers those whose own deadline passes first, and
``early_health.py`` answers a ``keel/health`` that asks for it
(``whileStarting``) at once with a "starting" report.
A first message that is not readable at all is answered -32700 here; one
nested too deeply to parse is not ``initialize`` and is left to the server's
own answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from keel.lsp.method_names import EXIT, INITIALIZE, SHUTDOWN

from .capabilities import initialize_result
from .early_deadlines import Peeked, StartupDeadlines, peek
from .early_health import (
    HEALTH,
    HEALTH_DEADLINE_MS,
    asks_while_starting,
    configured_health_ms,
    health_reply,
)
from .framing import BrokenFrame, Frame, parse_error_reply
from .session import Session

ENDS_THE_SESSION = frozenset({SHUTDOWN, EXIT})


def initialize_id(message: Peeked | None) -> Any:
    """The request id when ``message`` is a well-formed ``initialize`` request, else None."""
    if message is not None and message.method == INITIALIZE and isinstance(message.params, dict):
        return message.msg_id
    return None


class EarlyAnswers:
    """What the fast start answers itself while loading: deadlines passed and ``keel/health``."""

    def __init__(self, send: Callable[[dict[str, Any]], None], initialized: bool,
                 health_ms: int = HEALTH_DEADLINE_MS) -> None:
        self._send = send
        self.startup = StartupDeadlines(send)
        self.health_ids: set[int | str] = set()
        # Before initialize is answered a request gets -32002, after shutdown -32600: the server's.
        self._answering_health = initialized
        if initialized:
            self.startup.health_ms = health_ms

    def hold(self, item: Frame | BrokenFrame | None) -> None:
        message = self.startup.hold(item)
        if message is None:
            return
        if message.method in ENDS_THE_SESSION:
            self._answering_health = False
            self.startup.stop_answering_health()
        elif self._answering_health and asks_while_starting(message.method, message.msg_id, message.params):
            assert message.msg_id is not None
            self.health_ids.add(message.msg_id)
            self.startup.answered_last()
            waiting = {m: n for m, n in self.startup.waiting().items() if m != HEALTH}
            self._send(health_reply(message.msg_id, waiting))


async def _hold_while_loading(frames: asyncio.Queue, loading: asyncio.Future, early: EarlyAnswers) -> None:
    """Read messages as they come until loading is done, answering what the fast start can."""
    startup = early.startup
    getter: asyncio.Future | None = None
    while not loading.done():
        if getter is None and not (startup.held and startup.held[-1] is None):
            getter = asyncio.ensure_future(frames.get())
        due = startup.next_deadline()
        timeout = None if due is None else max(0.0, due - time.monotonic())
        waiting = {loading} | ({getter} if getter is not None else set())
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter is not None and getter in done:
            early.hold(getter.result())
            getter = None
        startup.expire(time.monotonic())
    if getter is not None:
        getter.cancel()  # safe: a cancelled Queue.get leaves its item in the queue
    await loading


def serve_stdio_fast(log_level: str | None, client_pid: int | None = None,
                     on_done: Callable[[int], None] | None = None) -> int:
    loaded: dict[str, Any] = {}

    def load(loop: asyncio.AbstractEventLoop) -> None:
        from keel.app import bootstrap

        # First: the workers' fork server warms the engine on the other core meanwhile
        # (when a core is spare; on a busy machine the pool starts at `initialized`).
        pool_early = bootstrap.start_analysis_workers()
        from keel.observability.logging import configure_logging

        configure_logging(log_level)
        app = bootstrap.create_app()
        if pool_early:
            # The workers fork as soon as the fork server is warm, not at `initialized`
            # (after pygls has loaded): the first analysis finds one ready or nearly.
            loop.call_soon_threadsafe(app.workers.warm_up)
        from keel.lsp import server

        loaded["server"] = server
        loaded["app"] = app

    async def main() -> int:
        loop = asyncio.get_running_loop()
        loading = loop.run_in_executor(None, load, loop)
        session = await Session.stdio()
        first = await session.frames.get()
        while isinstance(first, BrokenFrame):  # answered here: the server is not loaded yet
            session.send(parse_error_reply(first))
            first = await session.frames.get()
        peeked = peek(first)
        answered = initialize_id(peeked)
        if answered is not None:
            session.send({"jsonrpc": "2.0", "id": answered, "result": initialize_result()})
            session.answered_initialize = answered
        early = EarlyAnswers(session.send, initialized=answered is not None,
                             health_ms=configured_health_ms(peeked.params if peeked else None))
        early.hold(first)
        await _hold_while_loading(session.frames, loading, early)
        session.held = early.startup.remaining()
        session.answered_health = early.health_ids
        server = loaded["server"]
        code = await server.serve_session(loaded["app"], session, client_pid)
        return server.finish(code, on_done)

    return asyncio.run(main())
