"""A minimal JSON-RPC client over a child process's stdio (LSP framing).

For scripts, the demo and benchmarks that talk to `keel serve` the way any
outside client would, without pygls. Not used by the server itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from keel.lsp.method_names import CANCEL_REQUEST, EXIT, INITIALIZE, INITIALIZED, SHUTDOWN


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class KeelClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._ids = itertools.count(1)
        self._pending: dict[Any, asyncio.Future[Any]] = {}
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def spawn(cls, args: Sequence[str] | None = None, env: dict[str, str] | None = None) -> KeelClient:
        # -I: the server must not import from whatever folder the script runs in.
        command = list(args or [sys.executable, "-I", "-m", "keel", "serve", "--log-level", "warning"])
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=None if os.environ.get("KEEL_CLIENT_STDERR") else asyncio.subprocess.DEVNULL, env=env or dict(os.environ), limit=2**24,
        )
        return cls(process)

    def write_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_request(self, method: str, params: Any = None, msg_id: Any = None) -> tuple[Any, asyncio.Future[Any]]:
        msg_id = next(self._ids) if msg_id is None else msg_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params or {}})
        return msg_id, future

    async def request(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        _, future = self.send_request(method, params)
        return await asyncio.wait_for(future, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def cancel(self, msg_id: Any) -> None:
        self.notify(CANCEL_REQUEST, {"id": msg_id})

    async def initialize(self, root: str, options: dict[str, Any] | None = None,
                         process_id: int | None = None,
                         capabilities: dict[str, Any] | None = None) -> Any:
        """``capabilities`` are added to the default ones (e.g. to accept a file watcher)."""
        from pathlib import Path

        uri = Path(root).resolve().as_uri()
        result = await self.request(INITIALIZE, {
            "processId": process_id, "rootUri": uri,
            "workspaceFolders": [{"uri": uri, "name": Path(root).name}],
            "capabilities": {"window": {"workDoneProgress": True}, **(capabilities or {})},
            "initializationOptions": options or {},
        })
        self.notify(INITIALIZED, {})
        return result

    async def shutdown(self, timeout: float = 10.0) -> int:
        try:
            await self.request(SHUTDOWN, None, timeout)
            self.notify(EXIT, None)
            return await asyncio.wait_for(self.process.wait(), timeout)
        finally:
            if self.process.returncode is None:
                self.process.kill()
            self._reader.cancel()

    async def _read_loop(self) -> None:
        assert self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            length = None
            while True:
                line = await stdout.readline()
                if not line:
                    self._fail_pending()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            self._receive(await stdout.readexactly(length))

    def _receive(self, body: bytes) -> None:
        """One message's body (a subclass may look at it before it is parsed)."""
        self._dispatch(json.loads(body))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:
            # A server→client request (e.g. progress create): accept it.
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            self.notifications.put_nowait(message)
        elif "method" in message:
            self.notifications.put_nowait(message)
        else:
            future = self._pending.pop(message.get("id"), None)
            if future is None or future.done():
                return
            if "error" in message:
                err = message["error"]
                future.set_exception(RpcError(err.get("code"), err.get("message"), err.get("data")))
            else:
                future.set_result(message.get("result"))

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the server closed its output"))
        self._pending.clear()
