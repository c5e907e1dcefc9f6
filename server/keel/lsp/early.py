"""Fast start: answer ``initialize`` while pygls and the app are still loading.

Importing pygls means importing lsprotocol.types, ~0.6 s of attrs class
building on this machine, which alone is more than the 500 ms the editor
should wait for ``initialize``. So ``keel serve`` on stdio loads all of that in
a thread while this module (no pygls) reads the first message and, if it is
``initialize``, answers it with the server's static capabilities. The same
message is then handed to pygls, whose own (identical) reply is suppressed, so
the workspace and settings are set up exactly as on the slow path. Requests
that arrive meanwhile wait in the pipe and are served once loading is done.
A contract test checks that these capabilities equal what pygls builds.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from keel import __version__
from keel.protocol.names import KEEL_METHOD_NAMES, PROTOCOL_VERSION

from .framing import read_frame
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
    except (ValueError, UnicodeDecodeError):
        return None
    if (isinstance(message, dict) and message.get("jsonrpc") == "2.0"
            and message.get("method") == "initialize" and isinstance(message.get("id"), int | str)
            and isinstance(message.get("params"), dict)):
        return message["id"]
    return None


def serve_stdio_fast(log_level: str) -> int:
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
        first = await read_frame(reader)
        answered = initialize_id(first) if first is not None else None
        if answered is not None:
            reply = {"jsonrpc": "2.0", "id": answered, "result": initialize_result()}
            transport.write(frame(json.dumps(reply).encode()))
        await loading
        return await loaded["server"].serve_loaded(loaded["app"], reader, transport, first, answered)

    return asyncio.run(main())
