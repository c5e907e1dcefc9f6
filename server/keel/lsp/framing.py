"""LSP base framing that no input can stop or leave deaf (no pygls, so the fast start can use it).

Our own reader because asyncio's ``readline`` raises on a line over the
stream limit and pygls' reader trusts ``Content-Length``. This one reads
chunks into a buffer and always looks for the next ``Content-Length:`` header,
so every broken message costs only itself:

- bytes before a ``Content-Length:`` header are framing garbage: logged, dropped;
- a header block over ``MAX_HEADER_BYTES``, a non-numeric, negative or
  over-``MAX_BODY`` length, or a header block that is not ``Name: value`` lines
  up to a blank line (a missing blank line) is a ``BrokenFrame``; reading
  resumes at the next ``Content-Length:``, discarding what is between, chunk by
  chunk (memory stays flat whatever the declared length);
- a malformed header name (``Content-Length : 51``, ``Content_Length: 51``,
  ``X Y: 1``: a ``name: value`` line whose name is not letters, digits and
  ``-``) is never dropped in silence: the message is framed by its length (a
  name that is ``Content-Length`` up to ``_``, a space or blanks before the
  colon gives it), its body read, and it is a ``BrokenFrame`` naming the
  header, with the request's id from the body (-32700 with that id);
- a body that runs into a ``Content-Length: N`` line (a length a few bytes too
  long, or a header with no body) is cut there, as soon as that line is seen,
  so the next message is still read. A JSON body cannot hold that line: a
  string cannot hold a raw line break, and outside strings it is not JSON.

Each frame carries the monotonic time its header was read (``received_at``):
deadlines count from there, including time spent waiting for start-up.

On TCP (``strict``) resynchronising is what a web page would use: a browser's
``POST /`` is "garbage" followed by the frames in its body. So there, an HTTP
request line or a ``Host``/``Origin``/``Sec-Fetch-*`` line among the skipped
bytes, or a header other than ``Content-Length``/``Content-Type`` in a header
block, ends the reading (as EOF: the server closes the connection) instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
CHUNK = 64 * 1024
PARSE_ERROR = -32700
# When the message being handled was read off the wire (``Frame.received_at``): the transport
# sets it for each delivery, pygls copies it into the handler's task, dispatch counts from it.
RECEIVED_AT: contextvars.ContextVar[float | None] = contextvars.ContextVar("keel_received_at", default=None)

# The start of a header block: Content-Length, also misspelt with "_" or a blank for "-" or
# blanks before the colon, so that such a message is answered instead of skipped as garbage.
MARKER = re.compile(rb"content[-_ \t]?length[ \t]{0,8}:", re.IGNORECASE)
MARKER_LEN = len(b"content-length") + 8 + 1  # the longest marker
HEADER_IN_BODY = re.compile(rb"content[-_ \t]?length[ \t]{0,8}:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
LOOKAHEAD = 64  # bytes past a body's end in which a header starting inside it is still seen
BLANK = re.compile(rb"\r?\n")
HEADER_LINE = re.compile(rb"^([A-Za-z0-9-]+):[ \t]*(.*?)[ \t]*\r?$")
HEADER_PREFIX = re.compile(rb"^[A-Za-z0-9-]*(:|$)")
# A header line with a malformed name ("Content_Length", "X Y", blanks before the colon);
# not a JSON line, whose name would start with a quote or a brace.
LOOSE_HEADER_LINE = re.compile(rb"^([A-Za-z0-9_.-][A-Za-z0-9_ \t.-]{0,127}):[ \t]*(.*?)[ \t]*\r?$")
LOOSE_HEADER_PREFIX = re.compile(rb"^[A-Za-z0-9_.-][A-Za-z0-9_ \t.-]{0,127}(:|$)")
LENGTH_NAME = re.compile(rb"^content[-_ \t]?length[ \t]*$", re.IGNORECASE)
LENGTH_VALUE = re.compile(rb"^\d{1,12}$")
ID_HINT = re.compile(rb'"id"\s*:\s*(-?\d{1,15}(?![\d.eE])|"(?:[^"\\\r\n]|\\.){0,256}")')
HINT_WINDOW = 4096
FRAME_HEADERS = frozenset({b"content-length", b"content-type"})  # all that LSP base framing has
HTTP_LIKE = re.compile(rb"^(?:[A-Z]{3,10} \S+ HTTP/\d|(?:host|origin|sec-fetch-[a-z-]*)[ \t]*:)",
                       re.MULTILINE | re.IGNORECASE)
HTTP_TAIL = 256  # skipped bytes kept so a request line split across two reads is still seen


@dataclass(frozen=True)
class Frame:
    body: bytes
    received_at: float


@dataclass(frozen=True)
class BrokenFrame:
    """A message that could be told apart but not read; ``request_id`` when its body named one."""

    reason: str
    request_id: Any
    received_at: float


def id_hint(data: bytes) -> Any:
    """The request id a (possibly truncated) body names at its top, or None."""
    window = data[:HINT_WINDOW]
    match = ID_HINT.search(window)
    if match is None:
        return None
    params_at = window.find(b'"params"')
    if 0 <= params_at < match.start():
        return None  # the first "id" is inside params, not the request's
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def parse_error_reply(broken: BrokenFrame) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": broken.request_id,
            "error": {"code": PARSE_ERROR, "message": f"Parse error: {broken.reason}."}}


class FrameReader:
    """Frames from an asyncio stream; ``next()`` returns None only at EOF."""

    def __init__(self, reader: asyncio.StreamReader, clock: Callable[[], float] = time.monotonic,
                 strict: bool = False) -> None:
        self._reader = reader
        self._clock = clock
        self._buf = bytearray()
        self._eof = False
        self._garbage = 0  # bytes skipped since the last marker, logged once per resync
        self._strict = strict
        self._skipped_tail = b""
        self._foreign: str | None = None  # strict: why the input is not ours (reading ends)

    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._reader.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _drop_garbage(self) -> bool:
        """Drop bytes before the next marker; True when a marker now starts the buffer."""
        match = MARKER.search(self._buf)
        keep_from = match.start() if match else max(0, len(self._buf) - MARKER_LEN + 1)
        if self._strict and keep_from:
            skipped = self._skipped_tail + bytes(self._buf[:keep_from])
            if HTTP_LIKE.search(skipped):
                self._foreign = "an HTTP request line or header"
            self._skipped_tail = skipped[-HTTP_TAIL:]
        if keep_from and bytes(self._buf[:keep_from]).strip():
            self._garbage += keep_from
        del self._buf[:keep_from]
        if match is not None and self._garbage:
            logger.warning("framing garbage skipped (%d bytes)", self._garbage)
            self._garbage = 0
        return match is not None

    async def next(self) -> Frame | BrokenFrame | None:
        while True:
            while not self._drop_garbage() and self._foreign is None:
                if not await self._fill():
                    return None
            received_at = self._clock()
            header = None if self._foreign else await self._read_header()
            if self._foreign is not None:
                self._end_foreign(self._foreign)
                return None
            if header is None:
                return None
            if isinstance(header, str):
                return self._broken(header, received_at, skip=self._marker_end())
            length, header_end, malformed = header
            if length is None or length > MAX_BODY:
                value = "over 64 MiB" if length else "not a non-negative integer"
                return self._broken(f"Content-Length is {value}", received_at, skip=header_end)
            frame = await self._read_body(header_end, length, received_at)
            if frame is None or malformed is None:
                return frame
            reason = f"the header name {malformed.decode('latin-1')[:40]!r} is malformed"
            logger.warning("message with a malformed header name answered: %s", reason)
            return BrokenFrame(reason, id_hint(frame.body), received_at)

    def _marker_end(self) -> int:
        match = MARKER.match(self._buf)
        return match.end() if match else 1

    async def _read_header(self) -> tuple[int | None, int, bytes | None] | str | None:
        """(length, end of the blank line, a malformed header name) | why it is broken | None at EOF."""
        while True:
            result = self._scan_header()
            if result is not None:
                return result
            if len(self._buf) > MAX_HEADER_BYTES:
                return "the header block is over 64 KiB"
            if not await self._fill():
                return None

    def _scan_header(self) -> tuple[int | None, int, bytes | None] | str | None:
        pos, length, malformed = 0, None, None
        first_marker_end = self._marker_end()
        while True:
            newline = self._buf.find(b"\n", pos)
            if newline < 0:
                rest = bytes(self._buf[pos:pos + 256])
                if rest and not (HEADER_PREFIX.match(rest) or LOOSE_HEADER_PREFIX.match(rest)) \
                        and rest != b"\r":
                    return "no blank line after the headers"
                return None
            line = bytes(self._buf[pos:newline + 1])
            pos = newline + 1
            if BLANK.fullmatch(line):
                return length, pos, malformed
            match = HEADER_LINE.match(line.rstrip(b"\n")) or LOOSE_HEADER_LINE.match(line.rstrip(b"\n"))
            first_line = pos == len(line)
            # A marker inside a header line: garbage ran into the next message's header.
            if match is None or MARKER.search(line, first_marker_end if first_line else 1):
                return "no blank line after the headers"
            name = match.group(1)
            well_formed = HEADER_LINE.match(line.rstrip(b"\n")) is not None
            if malformed is not None and well_formed and name.lower() == b"content-length":
                # A well-formed header after a malformed line: the malformed one was garbage
                # (answered on its own), and a new message starts here.
                return "a malformed header name with no message after it"
            if not well_formed:
                malformed = malformed or name
                if self._strict and not LENGTH_NAME.match(name):
                    self._foreign = "a malformed header name"
                    return "foreign"
            elif self._strict and name.lower() not in FRAME_HEADERS:
                self._foreign = "a header other than Content-Length and Content-Type"
                return "foreign"
            if name.lower() == b"content-length" or LENGTH_NAME.match(name):
                value = match.group(2)
                length = int(value) if LENGTH_VALUE.match(value) else None
            if len(line) > MAX_HEADER_BYTES:
                return "a header line is over 64 KiB"

    def _end_foreign(self, reason: str) -> None:
        """Read nothing more: the caller sees EOF, and the TCP server closes the connection."""
        logger.warning("closing the connection: %s is not LSP framing", reason)
        self._eof = True
        self._buf.clear()

    def _broken(self, reason: str, received_at: float, skip: int) -> BrokenFrame:
        """Resynchronise at the next marker after ``skip``; name the request id if visible."""
        del self._buf[:skip]
        upto = MARKER.search(self._buf)
        request_id = id_hint(bytes(self._buf[:upto.start() if upto else HINT_WINDOW]))
        logger.warning("unreadable message skipped: %s", reason)
        return BrokenFrame(reason, request_id, received_at)

    async def _read_body(self, start: int, length: int, received_at: float) -> Frame | None:
        searched = start
        while True:
            window_end = min(len(self._buf), start + length + LOOKAHEAD)
            cut = HEADER_IN_BODY.search(self._buf, searched, window_end)
            if cut is not None and cut.start() < start + length:
                logger.warning("message body runs into the next header; cut at %d bytes", cut.start() - start)
                return self._frame(start, cut.start() - start, received_at)
            if len(self._buf) >= start + length:
                return self._frame(start, length, received_at)
            searched = max(start, window_end - LOOKAHEAD)
            if not await self._fill():
                return None  # EOF mid-body: the client is gone

    def _frame(self, start: int, length: int, received_at: float) -> Frame:
        body = bytes(self._buf[start:start + length])
        del self._buf[:start + length]
        return Frame(body, received_at)


FrameQueue = asyncio.Queue  # of Frame | BrokenFrame | None (EOF)
QUEUE_LIMIT = 1024  # backpressure: beyond this, unread messages wait in the pipe


def start_reading(reader: asyncio.StreamReader, strict: bool = False) -> tuple[FrameQueue, asyncio.Task[None]]:
    """Start reading frames off ``reader`` now (stamping each on arrival) into a queue.

    ``strict`` for TCP: HTTP-shaped input ends the reading instead of being skipped.
    """
    queue: FrameQueue = asyncio.Queue(maxsize=QUEUE_LIMIT)
    return queue, asyncio.ensure_future(pump_frames(FrameReader(reader, strict=strict), queue))


async def pump_frames(frames: FrameReader, queue: FrameQueue) -> None:
    """Read frames into ``queue`` as they arrive (stamped on arrival); None marks EOF."""
    try:
        while (item := await frames.next()) is not None:
            await queue.put(item)
    except Exception:  # a bug here must end the server visibly, never leave it deaf
        logger.exception("the message reader failed")
    await queue.put(None)
