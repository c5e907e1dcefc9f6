"""Who may use ``keel serve --tcp``: only the client that holds the server's token.

Any local process can connect to 127.0.0.1, and so can a web page: a browser's
``POST /`` reaches the port with its body, and the framing reader (built to
resynchronise after garbage) would serve the JSON-RPC messages in that body.
So on TCP nothing is read as a message until the connection has proved it
holds the token:

- The token (``tcp_token.py``). The client that starts the server sets
  ``KEEL_SERVER_TOKEN``, which the server removes from ``os.environ`` at start,
  so no worker, fork server or analyzer inherits it. Without it the server
  makes one, writes it to an owner-only file and names that file, never the
  token, on stderr.
- The first message. :func:`authenticate` reads it with a parser that accepts
  only LSP base framing: ``Content-Length`` (and ``Content-Type``) header lines,
  a blank line, a body of at most 4 KiB, all within ``AUTH_TIMEOUT_S``. The body
  must be the notification ``keel/authenticate`` with ``{"token": ...}``
  (compared in constant time). Anything else (an HTTP request line, a ``Host``
  or ``Origin`` header, a wrong or missing token, silence) is refused: the
  caller closes that connection unread and keeps listening for the real client.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re

from pydantic import ValidationError

from keel.protocol.methods import AUTHENTICATE
from keel.protocol.session import AuthenticateParams

from .framing import FRAME_HEADERS, HEADER_LINE

AUTH_TIMEOUT_S = 5.0
MAX_AUTH_LINE = 256
MAX_AUTH_HEADERS = 2
MAX_AUTH_BODY = 4096
REQUEST_LINE = re.compile(rb"^([A-Z]{3,10}) \S+ HTTP/\d")


async def authenticate(reader: asyncio.StreamReader, token: str, timeout_s: float = AUTH_TIMEOUT_S) -> str | None:
    """None when the connection's first message is ``keel/authenticate`` with ``token``; else why not."""
    try:
        return await asyncio.wait_for(_first_message_refusal(reader, token), timeout_s)
    except TimeoutError:
        return f"no authentication within {timeout_s:g} s"
    except (asyncio.IncompleteReadError, ConnectionError):
        return "closed before authenticating"
    except ValueError:  # readline over the stream's limit
        return "a header line is too long"


async def _first_message_refusal(reader: asyncio.StreamReader, token: str) -> str | None:
    length: int | None = None
    for _ in range(MAX_AUTH_HEADERS + 1):
        line = await reader.readline()
        if not line.endswith(b"\n"):
            return "closed before authenticating"
        if len(line) > MAX_AUTH_LINE:
            return "a header line is too long"
        if line in (b"\r\n", b"\n"):
            break
        refusal = _header_refusal(line)
        if refusal is not None:
            return refusal
        name, value = line.split(b":", 1)
        if name.strip().lower() == b"content-length":
            length = int(value.strip()) if value.strip().isdigit() else None
    else:
        return "too many header lines"
    if length is None:
        return "no valid Content-Length"
    if length > MAX_AUTH_BODY:
        return f"a first message over {MAX_AUTH_BODY} bytes"
    return _token_refusal(await reader.readexactly(length), token)


def _header_refusal(line: bytes) -> str | None:
    request = REQUEST_LINE.match(line)
    if request is not None:
        return f"an HTTP request ({request.group(1).decode()})"
    header = HEADER_LINE.match(line.rstrip(b"\r\n"))
    if header is None:
        return "bytes that are not a frame header"
    if header.group(1).lower() not in FRAME_HEADERS:
        return f"a header named {header.group(1)[:64].decode()}"
    return None


def _token_refusal(body: bytes, token: str) -> str | None:
    try:
        message = json.loads(body)
    except ValueError:
        return "a first message that is not JSON"
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or message.get("method") != AUTHENTICATE:
        return f"a first message other than {AUTHENTICATE}"
    if "id" in message:
        return f"{AUTHENTICATE} sent as a request (it is a notification: no id)"
    try:
        given = AuthenticateParams.model_validate(message.get("params"))
    except ValidationError:
        return f"{AUTHENTICATE} without a token"
    if not hmac.compare_digest(given.token.encode(), token.encode()):
        return "a wrong token"
    return None
