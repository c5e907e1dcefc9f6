"""LSP base framing: read ``Content-Length`` framed bodies, skipping garbage (no pygls)."""

from __future__ import annotations

import asyncio
import logging
import re

logger = logging.getLogger(__name__)

HEADER = re.compile(rb"^([A-Za-z-]+):\s*(.*?)\s*$")
MAX_BODY = 64 * 1024 * 1024


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next message body, or None at EOF. Header garbage is logged and skipped."""
    content_length: int | None = None
    while True:
        line = await reader.readline()
        if not line:
            return None  # EOF: the client is gone
        if line in (b"\r\n", b"\n"):
            if content_length is not None:
                break
            continue
        match = HEADER.match(line.rstrip(b"\r\n"))
        if match and match.group(1).lower() == b"content-length":
            try:
                content_length = int(match.group(2))
            except ValueError:
                content_length = None
            if content_length is not None and not 0 <= content_length <= MAX_BODY:
                logger.warning("ignoring message with Content-Length %s", content_length)
                content_length = None
        elif not match:
            logger.warning("framing garbage skipped (%d bytes)", len(line))
    try:
        return await reader.readexactly(content_length)
    except asyncio.IncompleteReadError:
        return None
