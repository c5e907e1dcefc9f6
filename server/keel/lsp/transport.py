"""The message loop: frames from ``framing.py`` into the pygls protocol.

pygls' own loop parses with an object hook that turns keel/* params into
namedtuples and says nothing to the client about a broken message. This loop
answers -32700 for an unreadable frame or unparsable JSON (with the request's
id when the body names one), -32600 for something that is not a request or
whose id is not a string or number, and keeps serving: nothing a message
holds ends the loop. stdin closing ends it.

Each message is delivered with the time it was read off the wire in
``RECEIVED_AT`` (a context variable pygls copies into the handler's task), so
the dispatch path counts deadlines from there.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from .errors import quote
from .framing import PARSE_ERROR, RECEIVED_AT, BrokenFrame, Frame, id_hint, parse_error_reply
from .protocol import KeelProtocol

logger = logging.getLogger(__name__)

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
    protocol.send_raw({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})


def _valid_id(msg_id: Any) -> bool:
    return msg_id is None or (isinstance(msg_id, int | str) and not isinstance(msg_id, bool))


def deliver(protocol: KeelProtocol, body: bytes, received_at: float | None = None) -> None:
    token = RECEIVED_AT.set(received_at)
    try:
        _deliver(protocol, body)
    finally:
        RECEIVED_AT.reset(token)


def deliver_item(protocol: KeelProtocol, item: Frame | BrokenFrame) -> None:
    if isinstance(item, BrokenFrame):
        protocol.send_raw(parse_error_reply(item))
    else:
        deliver(protocol, item.body, item.received_at)


def _deliver(protocol: KeelProtocol, body: bytes) -> None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        logger.warning("unparsable message body (%d bytes): %s", len(body), reason)
        send_error(protocol, _safe_id(id_hint(body)), PARSE_ERROR, f"Parse error: the message body is {reason}.")
        return
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
        send_error(protocol, _safe_id(data.get("id") if isinstance(data, dict) else None), INVALID_REQUEST,
                   "Invalid request: expected a JSON-RPC 2.0 object.")
        return
    method = data.get("method")
    msg_id = data.get("id")
    if not _valid_id(msg_id):
        send_error(protocol, None, INVALID_REQUEST,
                   f"Invalid request: 'id' must be a string or a number, not {type(msg_id).__name__}.")
        return
    if method is not None and not isinstance(method, str):
        send_error(protocol, msg_id, INVALID_REQUEST, "Invalid request: 'method' must be a string.")
        return
    try:
        if isinstance(method, str) and method.startswith("keel/"):
            message = protocol.keel_message(data)
        else:
            message = json.loads(body, object_hook=protocol.structure_message)
    except Exception:
        logger.warning("message could not be structured: method=%s", quote(method))
        if msg_id is not None and method:
            send_error(protocol, msg_id, -32602, f"Invalid params for {quote(method)}.")
        return
    try:
        protocol.handle_message(message)
    except Exception:
        logger.exception("message handling failed: method=%s", quote(method))
        if msg_id is not None and method:
            send_error(protocol, msg_id, -32603, "Internal error; details are in the Keel log.")


def _safe_id(msg_id: Any) -> Any:
    return msg_id if _valid_id(msg_id) else None


async def read_messages(frames: asyncio.Queue[Frame | BrokenFrame | None], protocol: KeelProtocol,
                        stop: asyncio.Event) -> None:
    """Deliver frames from the reader's queue until EOF or ``stop``."""
    while not stop.is_set():
        item = await frames.get()
        if item is None:
            return
        _deliver_contained(protocol, item)
        await asyncio.sleep(0)  # let handlers run between messages of a burst


def _deliver_contained(protocol: KeelProtocol, item: Frame | BrokenFrame) -> None:
    try:
        deliver_item(protocol, item)
    except Exception:  # one message must never end the loop (not a retry: the next message is new)
        logger.exception("message delivery failed")
