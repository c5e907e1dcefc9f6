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
(``whileStarting``) at once with a "starting" report. Once the app exists
(before pygls and lsprotocol have loaded) ``early_serve.py`` serves the held
messages it can serve exactly, in order, through the loaded server's dispatch.
A first message that is not readable at all is answered -32700 here; one
nested too deeply to parse is not ``initialize`` and is left to the server's
own answer.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
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
LOAD_YIELD_MAX_S = 1.0  # the longest pygls's loading waits for the requests served early


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
        # Whether the early server serves requests now (the app exists, no barrier met):
        # then a keel/health asking "whileStarting" gets the real report from it.
        self.serving: Callable[[], bool] = lambda: False

    def hold(self, item: Frame | BrokenFrame | None) -> None:
        message = self.startup.hold(item)
        if message is None:
            return
        if message.method in ENDS_THE_SESSION:
            self._answering_health = False
            self.startup.stop_answering_health()
        elif (self._answering_health and not self.serving()
              and asks_while_starting(message.method, message.msg_id, message.params)):
            assert message.msg_id is not None
            self.health_ids.add(message.msg_id)
            self.startup.answered_last()
            waiting = {m: n for m, n in self.startup.waiting().items() if m != HEALTH}
            self._send(health_reply(message.msg_id, waiting))


class EarlyServing:
    """Hands the held messages, in order, to the ``EarlyServer`` once the app exists."""

    def __init__(self, early: EarlyAnswers, make_server: Callable[[Any], Any] | None,
                 quiet: threading.Event | None = None) -> None:
        self._early = early
        self._quiet = quiet  # set when nothing served early is running: pygls may load
        self._make_server = make_server  # None: nothing is served before pygls (no initialize answered)
        self.server: Any = None
        self._next = 0  # the index of the next held message to offer

    def app_ready(self, app: Any) -> None:
        if self._make_server is not None and self.server is None:
            try:
                server = self.server = self._make_server(app)
            except Exception:  # noqa: BLE001  the loaded server applies initialize itself, as before
                logging.getLogger(__name__).exception("the early server could not start")
                self._make_server = None
                self.check_quiet()
                return
            server.on_change = self.check_quiet
            self._early.serving = lambda: not server.stopped
        elif self._make_server is None:
            self.check_quiet()  # nothing is served early: pygls loads now

    def check_quiet(self) -> None:
        if self._quiet is not None and (self.server is None or self.server.stopped or not self.server.running):
            self._quiet.set()

    def advance(self) -> None:
        if self.server is None:
            return
        startup = self._early.startup
        while self._next < len(startup.held) and not self.server.stopped:
            index = self._next
            self._next += 1
            if startup.is_answered(index):
                continue
            item = startup.held[index]
            message = peek(item)
            if message is not None and message.method == HEALTH and message.msg_id in self._early.health_ids:
                continue  # answered "starting"; the loaded server's report goes out as healthChanged
            if index == 0 and message is not None and message.method == INITIALIZE:
                continue  # answered already, and applied to the app by the EarlyServer
            if self.server.offer(item) == "served":
                startup.take(index)
        self.check_quiet()


async def _hold_while_loading(frames: asyncio.Queue, loading: asyncio.Future, early: EarlyAnswers,
                              app_ready: asyncio.Future | None = None,
                              serving: EarlyServing | None = None) -> None:
    """Read messages as they come until loading is done, answering what the fast start can."""
    startup = early.startup
    getter: asyncio.Future | None = None
    while not loading.done():
        if getter is None and not (startup.held and startup.held[-1] is None):
            getter = asyncio.ensure_future(frames.get())
        due = startup.next_deadline()
        timeout = None if due is None else max(0.0, due - time.monotonic())
        waiting = {loading} | ({getter} if getter is not None else set())
        if app_ready is not None and serving is not None and serving.server is None:
            waiting.add(app_ready)
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter is not None and getter in done:
            early.hold(getter.result())
            getter = None
        startup.expire(time.monotonic())
        if serving is not None:
            if app_ready is not None and app_ready.done() and not app_ready.exception():
                serving.app_ready(app_ready.result())
            serving.advance()
    if getter is not None:
        getter.cancel()  # safe: a cancelled Queue.get leaves its item in the queue
    await loading


def _set_result(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _server_maker(session: Session, initialize: Peeked | None) -> Callable[[Any], Any] | None:
    """What builds the ``EarlyServer`` once the app exists; None when ``initialize`` is one pygls
    might refuse (the loaded server then decides everything)."""
    from .early_serve_gate import usable_initialize

    if initialize is None or not usable_initialize(initialize.params):
        return None

    def make(app: Any) -> Any:
        from .early_serve import EarlyServer

        return EarlyServer(app, session.send, session.send_encoded, initialize.params)

    return make


def serve_stdio_fast(log_level: str | None, client_pid: int | None = None,
                     on_done: Callable[[int], None] | None = None, workers_started: bool = False) -> int:
    """Serve on stdio; ``workers_started``: the caller started the workers' fork server
    (``keel.app.bootstrap.start_analysis_workers``), so the pool forks once the app exists."""
    loaded: dict[str, Any] = {}

    def load(loop: asyncio.AbstractEventLoop, app_ready: asyncio.Future, quiet: threading.Event) -> None:
        from keel.app import bootstrap
        from keel.observability.logging import configure_logging

        configure_logging(log_level)
        app = bootstrap.create_app()
        if workers_started:
            # The workers fork as soon as the fork server is warm, not at `initialized`
            # (after pygls has loaded): the first analysis finds one ready or nearly.
            loop.call_soon_threadsafe(app.workers.warm_up)
        import keel.lsp.early_serve  # noqa: F401  here, not on the loop: the early server's imports

        loop.call_soon_threadsafe(_set_result, app_ready, app)
        # pygls and lsprotocol load once the requests served early are done (at most
        # LOAD_YIELD_MAX_S): loaded beside them, they took the GIL from them and doubled
        # the first analysis's time in the server.
        quiet.wait(LOAD_YIELD_MAX_S)
        from keel.lsp import server

        loaded["server"] = server
        loaded["app"] = app

    async def main() -> int:
        loop = asyncio.get_running_loop()
        app_ready: asyncio.Future = loop.create_future()
        quiet = threading.Event()
        loading = loop.run_in_executor(None, load, loop, app_ready, quiet)
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
        serving = EarlyServing(early, _server_maker(session, peeked) if answered is not None else None, quiet)
        await _hold_while_loading(session.frames, loading, early, app_ready, serving)
        if collecting:
            gc.enable()
        session.held = early.startup.remaining()
        session.answered_health = early.health_ids
        session.early = serving.server
        server = loaded["server"]
        code = await server.serve_session(loaded["app"], session, client_pid)
        return server.finish(code, on_done)

    # The start allocates some 75,000 objects that live as long as the process, and little
    # garbage: collections while loading were ~8 % of the way to the first analysis's answer.
    # On again once loaded (the warm-up then freezes what loaded: keel.app.heap).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return asyncio.run(main())
    finally:
        if collecting:
            gc.enable()
