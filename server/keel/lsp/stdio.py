"""stdio plumbing for the server, free of pygls so it can run before pygls is loaded.

stdout belongs to JSON-RPC: a private copy of fd 1 carries the protocol, and
fd 1 and ``sys.stdout`` are pointed at stderr, so a stray print cannot corrupt
the channel.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import Any

# What the event loop raises for a stdio handle it cannot watch: a regular file on
# POSIX (ValueError); on Windows the proactor loop may refuse a console or a
# non-overlapped pipe (OSError) or not implement pipes at all (NotImplementedError).
UNSUPPORTED_PIPE = (ValueError, OSError, NotImplementedError)


class BlockingWriteTransport:
    """For a stdout that is a regular file (not a pipe): plain blocking writes."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._closed = False

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True


async def stdio_streams() -> tuple[asyncio.StreamReader, Any]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except UNSUPPORTED_PIPE:  # a regular file, or a loop that cannot watch this pipe: a thread reads it
        _feed_from_file(loop, reader, sys.stdin.buffer)
    transport: asyncio.WriteTransport | BlockingWriteTransport
    try:
        transport, _ = await loop.connect_write_pipe(asyncio.Protocol, protocol_out)
    except UNSUPPORTED_PIPE:
        transport = BlockingWriteTransport(protocol_out)
    return reader, transport


def _feed_from_file(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader, stream) -> None:
    def pump() -> None:
        while chunk := stream.read1(65536):
            loop.call_soon_threadsafe(reader.feed_data, chunk)
        loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, daemon=True, name="keel-stdin").start()


def frame(body: bytes) -> bytes:
    return (b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
            % len(body)) + body
