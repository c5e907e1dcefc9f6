"""An in-process Keel server fed raw bytes: the real read loop, framing and protocol, no subprocess."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from keel.app.state import KeelApp
from keel.lsp.framing import start_reading
from keel.lsp.server import _serve, build_server
from keel.lsp.session import Session


def framed(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params if params is not None else {}}


class CapturingTransport:
    """What the server writes, parsed back into messages as they arrive."""

    def __init__(self) -> None:
        self._buf = b""
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()

    def write(self, data: bytes) -> None:
        self._buf += data
        while b"\r\n\r\n" in self._buf:
            header, rest = self._buf.split(b"\r\n\r\n", 1)
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            if len(rest) < length:
                return
            self.messages.append(json.loads(rest[:length]))
            self._buf = rest[length:]
            self._arrived.set()

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    async def response(self, msg_id: Any) -> dict[str, Any]:
        while True:
            for message in self.messages:
                if message.get("id") == msg_id and "method" not in message:
                    return message
            self._arrived.clear()
            await self._arrived.wait()


    async def request_from_server(self, method: str) -> dict[str, Any]:
        while True:
            for message in self.messages:
                if message.get("method") == method and "id" in message:
                    return message
            self._arrived.clear()
            await self._arrived.wait()


class InProcessServer:
    def __init__(self, app: KeelApp) -> None:
        self.app = app
        self.reader = asyncio.StreamReader()
        self.out = CapturingTransport()
        self.server = build_server(app)
        frames, self._pump = start_reading(self.reader)
        self._task = asyncio.ensure_future(_serve(self.server, Session(frames, self.out, self._pump)))

    def feed(self, data: bytes) -> None:
        self.reader.feed_data(data)

    async def ask(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        self.feed(framed(request(msg_id, method, params)))
        return await self.out.response(msg_id)

    async def initialize(self, root) -> None:
        answer = await self.ask("init", "initialize", {"processId": None, "rootUri": root.as_uri(),
                                                       "capabilities": {}})
        assert "result" in answer  # no `initialized`: storage and warm-up are not needed here

    @property
    def serving(self) -> bool:
        return not self._task.done()

    async def close(self) -> None:
        self.server.request_stop()
        self._pump.cancel()
        await asyncio.wait_for(self._task, 10)
        self.app.close()
