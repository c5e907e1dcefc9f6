"""One client connection, from its first byte to its last: the reader, the writer, and what
was answered before the server loaded.

On stdio the session opens before pygls is loaded (standard library only: it is part of the
fast start). The fast start (``early.py``) is its first phase: it reads from ``frames``,
answers what it can through ``send`` and records it here (``answered_initialize``,
``answered_health``) and keeps the rest in ``held``. The loaded server (``server.py``) then
takes the same session: it tells ``KeelProtocol`` which replies were already given (so no
outgoing frame is ever looked into), serves ``held`` and goes on reading ``frames``. Without
a fast phase (TCP, the plain stdio path) the loaded server takes a fresh session.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .framing import BrokenFrame, Frame, FrameQueue, start_reading
from .stdio import frame, stdio_streams


class Session:
    def __init__(self, frames: FrameQueue, transport: Any, reading: asyncio.Task[None] | None = None) -> None:
        self.frames = frames  # stamped on arrival by the reader task; None is EOF
        self.reading = reading  # held here: the loop keeps only a weak reference to a task
        self.transport = transport
        self.held: list[Frame | BrokenFrame | None] = []  # read before the server loaded, in order
        self.answered_initialize: int | str | None = None  # the id of the initialize answered early
        self.answered_health: set[int | str] = set()  # keel/health ids answered "starting"
        self.early: Any = None  # the EarlyServer that served requests before pygls loaded, if any

    @classmethod
    async def stdio(cls) -> Session:
        """A session on this process's stdin and stdout, reading from now on."""
        reader, transport = await stdio_streams()
        frames, reading = start_reading(reader)
        return cls(frames, transport, reading)

    def send(self, message: dict[str, Any]) -> None:
        """Write one message before the server has loaded (the fast start's answers)."""
        if not self.transport.is_closing():
            self.transport.write(frame(json.dumps(message).encode()))

    def send_encoded(self, msg_id: Any, result: bytes) -> None:
        """A reply around a result encoded beforehand (``dispatch``'s ``EncodedResult``)."""
        if not self.transport.is_closing():
            self.transport.write(frame(b'{"id": %s, "jsonrpc": "2.0", "result": %s}'
                                       % (json.dumps(msg_id).encode(), result)))
