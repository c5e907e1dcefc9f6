"""`keel serve --tcp` for tests: start it, connect, authenticate, ask."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .helpers import server_env

LISTENING = re.compile(rb"keel: listening on 127\.0\.0\.1:(\d+)(?:, token in (.+))?$")


@dataclass
class TcpServer:
    process: asyncio.subprocess.Process
    port: int
    token_file: Path | None
    stderr_seen: bytes

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def start_tcp_server(tmp_path, token: str | None, **extra_env: str) -> TcpServer:
    """``keel serve --tcp --port 0``, with ``token`` in KEEL_SERVER_TOKEN (None: the server makes one)."""
    env = server_env(tmp_path, **extra_env)
    env.pop("KEEL_SERVER_TOKEN", None)
    if token is not None:
        env["KEEL_SERVER_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "keel", "serve", "--tcp", "--port", "0", "--log-level", "warning",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=env)
    assert process.stderr is not None
    seen = b""
    while (match := LISTENING.search(seen.rstrip().rsplit(b"\n", 1)[-1])) is None:
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert line, f"keel serve --tcp ended before listening: {seen.decode(errors='replace')}"
        seen += line
    file = Path(match.group(2).decode()) if match.group(2) else None
    return TcpServer(process, int(match.group(1)), file, seen)


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class TcpClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, token: str | None = None) -> TcpClient:
        """A connection; authenticated first when ``token`` is given."""
        client = cls(*await asyncio.open_connection("127.0.0.1", port))
        if token is not None:
            client.writer.write(frame({"jsonrpc": "2.0", "method": "keel/authenticate",
                                       "params": {"token": token}}))
        return client

    def send(self, msg_id, method: str, params=None) -> None:
        self.writer.write(frame({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params or {}}))

    async def answer(self, msg_id, method: str, params=None):
        """The result, or an RpcError as the other clients raise it."""
        from keel.rpc_client import RpcError

        message = await self.request(msg_id, method, params)
        if "error" in message:
            error = message["error"]
            raise RpcError(error["code"], error["message"], error.get("data"))
        return message["result"]

    async def request(self, msg_id, method: str, params=None) -> dict:
        self.send(msg_id, method, params)
        while True:
            length = None
            while (line := await asyncio.wait_for(self.reader.readline(), 30)) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert length is not None, "the server closed the connection"
            message = json.loads(await self.reader.readexactly(length))
            if message.get("id") == msg_id:
                return message

    def close(self) -> None:
        self.writer.close()


async def closed_unanswered(reader: asyncio.StreamReader) -> bool:
    """True when the server closes the connection without having written a byte."""
    try:
        return await asyncio.wait_for(reader.read(), 30) == b""
    except ConnectionError:  # closed with our bytes unread (reset), or before our write (broken pipe)
        return True
