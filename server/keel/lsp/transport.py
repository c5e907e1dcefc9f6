"""The message loop: LSP base framing over an asyncio stream, robust to garbage.

pygls' own loop parses with an object hook that turns keel/* params into
namedtuples and says nothing to the client about a broken message. This loop
answers -32700 for unparsable JSON and -32600 for something that is not a
request, logs framing garbage, and keeps serving. stdin closing ends it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from .framing import read_frame
from .protocol import KeelProtocol

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


class StreamWriter:
    """pygls writer interface over an asyncio transport (writes never block the loop)."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._transport.close()


def send_error(protocol: KeelProtocol, msg_id: Any, code: int, message: str) -> None:
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})


def deliver(protocol: KeelProtocol, body: bytes) -> None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        logger.warning("unparsable message body (%d bytes)", len(body))
        send_error(protocol, None, PARSE_ERROR, "Parse error: the message body is not valid JSON.")
        return
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
        send_error(protocol, data.get("id") if isinstance(data, dict) else None, INVALID_REQUEST,
                   "Invalid request: expected a JSON-RPC 2.0 object.")
        return
    method = data.get("method")
    msg_id = data.get("id")
    if method is not None and not isinstance(method, str):
        send_error(protocol, msg_id, INVALID_REQUEST, "Invalid request: 'method' must be a string.")
        return
    try:
        if isinstance(method, str) and method.startswith("keel/"):
            message = protocol.keel_message(data)
        else:
            message = json.loads(body, object_hook=protocol.structure_message)
    except Exception:
        logger.warning("message could not be structured: method=%r", method)
        if msg_id is not None and method:
            send_error(protocol, msg_id, -32602, f"Invalid params for {method}.")
        return
    try:
        protocol.handle_message(message)
    except Exception:
        logger.exception("message handling failed: method=%r", method)
        if msg_id is not None and method:
            send_error(protocol, msg_id, -32603, "Internal error; details are in the Keel log.")


async def read_messages(reader: asyncio.StreamReader, protocol: KeelProtocol, stop: asyncio.Event) -> None:
    """Read framed messages until EOF or ``stop``."""
    while not stop.is_set():
        body = await read_frame(reader)
        if body is None:
            return
        deliver(protocol, body)
        await asyncio.sleep(0)  # let handlers run between messages of a burst
