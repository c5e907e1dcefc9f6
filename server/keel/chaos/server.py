"""A fault-injecting fake provider: real HTTP/1.1 on 127.0.0.1, pure asyncio.

It speaks the Anthropic Messages and OpenAI Chat Completions shapes (plain and
streaming) and, per request, does what its ``Schedule`` says: answer, wait,
fail with a status, hang, reset the connection, send garbage or trickle.
Every response closes its connection (``Connection: close``), which keeps the
server small and makes "reset" and "hang" affect exactly one request.

Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import structlog

from .responses import (
    MALFORMED_BODY,
    Api,
    Reply,
    api_of,
    error_reply,
    models_reply,
    not_found_reply,
    ok_reply,
)
from .schedule import Fault, Schedule

log = structlog.get_logger(__name__)

HOST = "127.0.0.1"
DownMode = Literal["refuse", "reset"]
_MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Served:
    seq: int
    api: Api
    fault: Fault
    stream: bool
    payload: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ChaosServer:
    def __init__(self, schedule: Schedule | None = None, *, port: int = 0) -> None:
        self._requested_port = port
        self._port: int | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._down: DownMode | None = None
        self._seq = 0
        self._gate = asyncio.Event()
        self._gate.set()
        self.set_schedule(schedule or Schedule.healthy())
        self.counts: Counter[str] = Counter()
        self.history: list[Served] = []
        # What GET /v1/models lists (both API shapes); tests set their own.
        self.served_models: list[str] = ["claude-haiku-4-5-20251001", "gpt-4o-mini"]
        self.models_page_size = 1000
        # Canned replies (keel.chaos.cases) played before the schedule; the last one repeats.
        self._canned: list[Reply] = []

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> int:
        if self._server is not None:
            return self.port
        await self._listen(self._requested_port)
        log.info("chaos server listening", port=self.port)
        return self.port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> ChaosServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the chaos server has not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``anthropic.AsyncAnthropic(base_url=...)``."""
        return f"http://{HOST}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.AsyncOpenAI(base_url=...)``."""
        return f"{self.base_url}/v1"

    # -- control ---------------------------------------------------------------
    def set_schedule(self, schedule: Schedule) -> None:
        """Switch behaviour at once; the new schedule starts from its beginning."""
        self.schedule = schedule
        self._player = schedule.player()

    def reply_with(self, *replies: Reply) -> None:
        """Answer model requests with these replies in order, the last one from then on."""
        self._canned = list(replies)

    def hold(self) -> None:
        """From now on every model request waits, counted, until :meth:`release`.

        For tests that need a call in flight for as long as they choose, not for a
        latency they hope is long enough.
        """
        self._gate.clear()

    def release(self) -> None:
        """Let the held requests (and every later one) play their fault."""
        self._gate.set()

    async def go_down(self, mode: DownMode = "refuse") -> None:
        """refuse: stop listening (connection refused); reset: accept, then reset at once."""
        self._down = mode
        if mode == "refuse" and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def go_up(self) -> None:
        self._down = None
        if self._server is None and self._port is not None:
            await self._listen(self._port)

    @property
    def down(self) -> DownMode | None:
        return self._down

    @property
    def requests_total(self) -> int:
        return sum(self.counts.values())

    def reset_counters(self) -> None:
        self.counts.clear()
        self.history.clear()

    # -- serving ---------------------------------------------------------------
    async def _listen(self, port: int) -> None:
        self._server = await asyncio.start_server(self._on_connection, HOST, port,
                                                  reuse_address=True)
        self._port = self._server.sockets[0].getsockname()[1]

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self._down == "reset":
                self.counts["down"] += 1
                _reset(writer)
                return
            request = await _read_request(reader)
            if request is not None:
                await self._serve(request, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: nothing to answer
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _serve(self, request: _Request, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        api = api_of(request.path)
        if request.method == "GET" and request.path.rstrip("/") in ("", "/health"):
            await _send(writer, Reply(200, b'{"ok":true}'))
            return
        if request.method == "GET" and request.path.split("?", 1)[0] == "/v1/models":
            self.counts["models"] += 1
            await _send(writer, models_reply(self.served_models, request.path, request.headers,
                                             self.models_page_size))
            return
        if api is None or request.method != "POST":
            self.counts["not_found"] += 1
            await _send(writer, not_found_reply(request.path))
            return
        try:
            payload = json.loads(request.body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            self.counts["bad_request"] += 1
            await _send(writer, Reply(400, b'{"error":{"message":"body is not a JSON object"}}'))
            return
        self._seq += 1
        seq, schedule = self._seq, self.schedule
        canned = (self._canned.pop(0) if len(self._canned) > 1 else self._canned[0]) \
            if self._canned else None
        fault = Fault.CANNED if canned is not None else self._player.next()
        stream = bool(payload.get("stream"))
        self.counts[fault.value] += 1
        self.history.append(Served(seq, api, fault, stream, payload))
        log.debug("chaos request", seq=seq, api=api, fault=fault.value, stream=stream)
        await self._gate.wait()
        if canned is not None:
            await _send(writer, canned)
            return
        if schedule.base_latency_ms:
            await asyncio.sleep(schedule.base_latency_ms / 1000)
        await self._act(fault, api, payload, seq, schedule, reader, writer)

    async def _act(self, fault: Fault, api: Api, payload: dict[str, Any], seq: int,
                   schedule: Schedule, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
        if fault is Fault.HANG:
            await _until_client_leaves(reader)
            return
        if fault is Fault.LATENCY:
            await asyncio.sleep(schedule.latency_ms / 1000)
        if fault in (Fault.OK, Fault.LATENCY):
            await _send(writer, ok_reply(api, payload, schedule.reply_text, seq, schedule.report_usage))
        elif fault is Fault.TRICKLE:
            await _send(writer, ok_reply(api, payload, schedule.reply_text, seq, schedule.report_usage),
                        trickle=(schedule.trickle_bytes, schedule.trickle_interval_ms / 1000))
        elif fault is Fault.RESET:
            reply = ok_reply(api, payload, schedule.reply_text, seq, schedule.report_usage)
            await _send(writer, reply, stop_after=len(reply.body) // 2)
            _reset(writer)
        elif fault is Fault.MALFORMED:
            if payload.get("stream"):
                body = b"event: message_start\ndata: {not json\n\n"
                await _send(writer, Reply(200, body, "text/event-stream"))
            else:
                await _send(writer, Reply(200, MALFORMED_BODY))
        else:
            await _send(writer, error_reply(api, fault, schedule.retry_after_s, seq))


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # connected and left (e.g. a reachability probe)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length") or 0)
        if length > _MAX_BODY:
            return None
        body = await reader.readexactly(length) if length else b""
    return _Request(parts[0].upper(), parts[1], headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        if len(body) + size > _MAX_BODY:
            raise ConnectionResetError("request body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _head(reply: Reply) -> bytes:
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Overloaded" if reply.status == 529 else "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {reason}",
             f"Content-Type: {reply.content_type}",
             f"Content-Length: {len(reply.body)}",
             "Connection: close"]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(writer: asyncio.StreamWriter, reply: Reply, *, stop_after: int | None = None,
                trickle: tuple[int, float] | None = None) -> None:
    writer.write(_head(reply))
    body = reply.body if stop_after is None else reply.body[:stop_after]
    if trickle is None:
        writer.write(body)
        await writer.drain()
        return
    size, pause = trickle
    await writer.drain()
    for start in range(0, len(body), max(1, size)):
        writer.write(body[start:start + size])
        await writer.drain()
        await asyncio.sleep(pause)


async def _until_client_leaves(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), not FIN: the client sees 'connection reset'."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
