"""A malformed header name is answered -32700 with the request's id, never dropped (issue 21, 6).

``Content-Length : 51`` (a blank before the colon) or ``Content_Length: 51`` used to be
skipped as framing garbage: the request was never answered. The rule (protocol.md,
"Framing"): a ``name: value`` header line whose name is not letters, digits and ``-`` is
malformed; the message is still framed by its length (also when the length's own header
is the malformed one), its body read, and it is answered -32700 naming the header, with
the id its body names. Reading goes on with the next message.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from keel.lsp.framing import BrokenFrame, Frame, FrameReader

from .harness import framed, request

pytestmark = pytest.mark.timeout(60)
PARSE_ERROR = -32700


def body(msg_id) -> bytes:
    return json.dumps(request(msg_id, "keel/health")).encode()


HEADERS = {
    "blank-before-colon": b"Content-Length : %d\r\n\r\n",
    "underscore": b"Content_Length: %d\r\n\r\n",
    "space-for-dash": b"content length: %d\r\n\r\n",
    "tab-before-colon": b"CONTENT-LENGTH\t: %d\r\n\r\n",
    "other-malformed-name": b"Content-Length: %d\r\nX Trace: 1\r\n\r\n",
    "malformed-content-type": b"Content-Length: %d\r\nContent_Type: application/json\r\n\r\n",
}


@pytest.mark.parametrize("header", HEADERS.values(), ids=HEADERS.keys())
async def test_malformed_header_name_is_a_parse_error_with_the_id(served, header):
    data = body(11)
    served.feed(header % len(data) + data + framed(request(12, "keel/health")))
    answer = await served.out.response(11)
    assert answer["error"]["code"] == PARSE_ERROR, answer
    assert "malformed" in answer["error"]["message"]
    # The next message, sent right behind it, is read and answered as usual.
    assert (await served.out.response(12))["result"]["version"]


async def test_a_malformed_length_header_with_a_bad_value_is_still_answered(served):
    data = body(13)
    served.feed(b"Content_Length: many\r\n\r\n" + data)
    answer = await served.out.response(13)
    assert answer["error"]["code"] == PARSE_ERROR
    assert (await served.ask("probe", "keel/health"))["result"]["version"]


async def read_all(data: bytes, strict: bool) -> list[Frame | BrokenFrame]:
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    reader, items = FrameReader(stream, strict=strict), []
    while (item := await reader.next()) is not None:
        items.append(item)
    return items


async def test_a_body_split_across_reads_is_still_framed_by_the_malformed_length():
    data = body(14)
    stream = asyncio.StreamReader()
    reader = FrameReader(stream)
    pending = asyncio.ensure_future(reader.next())
    for chunk in (b"Content_Len", b"gth : %d\r" % len(data), b"\n\r\n", data[:10], data[10:]):
        stream.feed_data(chunk)
        await asyncio.sleep(0)
    item = await pending
    assert isinstance(item, BrokenFrame) and item.request_id == 14


async def test_on_tcp_a_misspelt_length_is_answered_but_a_foreign_header_closes():
    data = body(15)
    items = await read_all(b"Content_Length: %d\r\n\r\n" % len(data) + data + framed(body(16)),
                           strict=True)
    assert isinstance(items[0], BrokenFrame) and items[0].request_id == 15
    assert isinstance(items[1], Frame) and json.loads(items[1].body)["id"] == 16
    # Any other malformed name is not LSP framing: on TCP the connection ends there.
    items = await read_all(b"Content-Length: %d\r\nX Trace: 1\r\n\r\n" % len(data) + data, strict=True)
    assert items == []


async def test_a_missing_blank_line_is_still_broken_not_a_malformed_name():
    # A JSON line right after the headers is not taken for a header with a malformed name.
    data = body(17)
    items = await read_all(b"Content-Length: %d\r\n" % len(data) + data + b"\r\n" + framed(body(18)),
                           strict=False)
    assert isinstance(items[0], BrokenFrame) and items[0].request_id == 17
    assert isinstance(items[-1], Frame) and json.loads(items[-1].body)["id"] == 18


async def test_a_malformed_line_right_before_a_good_message_costs_only_itself():
    # Found by the fuzz test: the good message behind it is served, not answered -32700.
    items = await read_all(b"ContentLength :\n" + framed(body(19)), strict=False)
    assert isinstance(items[0], BrokenFrame) and items[0].request_id is None
    assert isinstance(items[1], Frame) and json.loads(items[1].body)["id"] == 19
