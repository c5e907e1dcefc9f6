"""Fast start: answer ``initialize`` while pygls and the app are still loading.

Importing pygls means importing lsprotocol.types, ~0.6 s of attrs class
building on this machine, which alone is more than the 500 ms the editor
should wait for ``initialize``. So ``keel serve`` on stdio loads all of that in
a thread while this module (no pygls) reads the first message and, if it is
``initialize``, answers it with the server's static capabilities. The same
message is then handed to pygls, whose own (identical) reply is suppressed, so
the workspace and settings are set up exactly as on the slow path.

Messages that arrive meanwhile are read off the wire at once (and stamped:
their deadlines run from then) and served once loading is done. A first
message that is not readable at all is answered -32700 here; one nested too
deeply to parse is not ``initialize`` and is left to the server's own answer.
A contract test checks that these capabilities equal what pygls builds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from keel import __version__
from keel.protocol.names import KEEL_METHOD_NAMES, PROTOCOL_VERSION

from .early_deadlines import StartupDeadlines
from .framing import BrokenFrame, Frame, parse_error_reply, start_reading
from .stdio import frame, stdio_streams

STATIC_CAPABILITIES: dict[str, Any] = {
    "positionEncoding": "utf-16",
    "textDocumentSync": {"openClose": True, "change": 2, "save": True},
    "codeActionProvider": {"codeActionKinds": ["quickfix"]},
    "executeCommandProvider": {"commands": []},
    "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True},
                  "fileOperations": {}},
    "experimental": {"keel": {"version": PROTOCOL_VERSION, "methods": list(KEEL_METHOD_NAMES)}},
}


def initialize_result() -> dict[str, Any]:
    return {"capabilities": STATIC_CAPABILITIES, "serverInfo": {"name": "keel", "version": __version__}}


def initialize_id(body: bytes) -> Any:
    """The request id when ``body`` is a well-formed ``initialize`` request, else None."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if (isinstance(message, dict) and message.get("jsonrpc") == "2.0"
            and message.get("method") == "initialize" and isinstance(message.get("id"), int | str)
            and isinstance(message.get("params"), dict)):
        return message["id"]
    return None


async def _hold_while_loading(frames: asyncio.Queue, loading: asyncio.Future, startup: StartupDeadlines) -> None:
    """Read messages as they come until loading is done, answering those whose own deadline passes."""
    getter: asyncio.Future | None = None
    while not loading.done():
        if getter is None and not (startup.held and startup.held[-1] is None):
            getter = asyncio.ensure_future(frames.get())
        due = startup.next_deadline()
        timeout = None if due is None else max(0.0, due - time.monotonic())
        waiting = {loading} | ({getter} if getter is not None else set())
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter is not None and getter in done:
            startup.hold(getter.result())
            getter = None
        startup.expire(time.monotonic())
    if getter is not None:
        getter.cancel()  # safe: a cancelled Queue.get leaves its item in the queue
    await loading


def serve_stdio_fast(log_level: str | None, client_pid: int | None = None,
                     on_done: Callable[[int], None] | None = None) -> int:
    loaded: dict[str, Any] = {}

    def load() -> None:
        from keel.observability.logging import configure_logging

        configure_logging(log_level)
        from keel.app.bootstrap import create_app
        from keel.lsp import server

        loaded["server"] = server
        loaded["app"] = create_app()

    async def main() -> int:
        loading = asyncio.get_running_loop().run_in_executor(None, load)
        reader, transport = await stdio_streams()
        frames, _ = start_reading(reader)
        first = await frames.get()
        while isinstance(first, BrokenFrame):  # answered here: the server is not loaded yet
            transport.write(frame(json.dumps(parse_error_reply(first)).encode()))
            first = await frames.get()
        answered = initialize_id(first.body) if isinstance(first, Frame) else None
        if answered is not None:
            reply = {"jsonrpc": "2.0", "id": answered, "result": initialize_result()}
            transport.write(frame(json.dumps(reply).encode()))
        startup = StartupDeadlines(lambda reply: transport.write(frame(json.dumps(reply).encode())))
        startup.hold(first)
        await _hold_while_loading(frames, loading, startup)
        server = loaded["server"]
        code = await server.serve_loaded(loaded["app"], frames, transport, startup.remaining(), answered,
                                         client_pid)
        return server.finish(code, on_done)

    return asyncio.run(main())
