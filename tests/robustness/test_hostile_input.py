"""No input stops the server or leaves it deaf.

Each case is sent to the real read loop (in process), then a well-formed
request must be answered. Where the broken message can be identified, its
answer is -32700 (with the request's id when its body names one).
"""

from __future__ import annotations

import json

import pytest

from .harness import framed, request

pytestmark = pytest.mark.timeout(60)
PARSE_ERROR = -32700


async def still_serving(served, msg_id="probe") -> None:
    answer = await served.ask(msg_id, "keel/health")
    assert answer["result"]["version"], answer
    assert served.serving


async def test_json_nested_1000_deep_is_a_parse_error(served):
    body = b'{"jsonrpc": "2.0", "id": 7, "method": "keel/health", "params": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    served.feed(framed(body))
    answer = await served.out.response(7)
    assert answer["error"]["code"] == PARSE_ERROR and "deeply" in answer["error"]["message"]
    await still_serving(served)


async def test_deep_params_that_parse_are_answered_not_fatal(served):
    params = json.loads("[" * 500 + "]" * 500)
    served.feed(framed(request(8, "keel/health", {"x": params})))
    answer = await served.out.response(8)
    assert answer["error"]["code"] == -32602
    await still_serving(served)


async def test_header_line_over_one_mib(served):
    served.feed(b"Content-Length: 40\r\nX-Padding: " + b"a" * (2 * 1024 * 1024) + b"\r\n\r\n" + b"{}" * 20)
    await still_serving(served)
    assert any(m.get("error", {}).get("code") == PARSE_ERROR for m in served.out.messages)


async def test_body_over_64_mib_is_skipped_chunk_by_chunk(served):
    size = 64 * 1024 * 1024 + 10
    served.feed(b'Content-Length: %d\r\n\r\n{"jsonrpc": "2.0", "id": 9, "method": "keel/health", "params": {"x": "' % size)
    chunk = b"a" * (1024 * 1024)
    for _ in range(65):
        served.feed(chunk)
    served.feed(b'"}}')
    answer = await served.out.response(9)
    assert answer["error"]["code"] == PARSE_ERROR and "64 MiB" in answer["error"]["message"]
    await still_serving(served)


@pytest.mark.parametrize("value", [b"abc", b"-7", b"", b"1e3", b"0x10"])
async def test_bad_content_length_is_answered_with_the_id(served, value):
    body = json.dumps(request(10, "keel/health")).encode()
    served.feed(b"Content-Length: " + value + b"\r\n\r\n" + body)
    answer = await served.out.response(10)
    assert answer["error"]["code"] == PARSE_ERROR and "Content-Length" in answer["error"]["message"]
    await still_serving(served)


async def test_length_counted_in_characters_not_bytes(served):
    body = json.dumps(request(11, "keel/health", {"note": "héllo wörld ✓"}), ensure_ascii=False)
    served.feed(b"Content-Length: %d\r\n\r\n" % len(body) + body.encode())  # too short
    answer = await served.out.response(11)
    assert answer["error"]["code"] == PARSE_ERROR
    await still_serving(served)


@pytest.mark.parametrize("extra", [1, 3, 1000])
async def test_length_a_few_bytes_too_long_keeps_the_next_message(served, extra):
    body = json.dumps(request(12, "keel/health")).encode()
    served.feed(b"Content-Length: %d\r\n\r\n" % (len(body) + extra) + body)
    await still_serving(served)  # the probe's header is seen inside the overlong body ...
    assert "result" in await served.out.response(12)  # ... and the body is cut there: whole again


async def test_missing_blank_line(served):
    body = json.dumps(request(13, "keel/health")).encode()
    served.feed(b"Content-Length: %d\r\n" % len(body) + body)
    answer = await served.out.response(13)  # answered at once, not when the next message comes
    assert answer["error"]["code"] == PARSE_ERROR
    await still_serving(served)


async def test_garbage_running_into_a_header_line(served):
    served.feed(b"Content-Length: 5\r\nX")
    await still_serving(served)


@pytest.mark.parametrize("bad_id", [{"a": 1}, [1, 2], True, 1.5])
async def test_object_or_array_ids_are_invalid_requests(served, bad_id):
    served.feed(framed({"jsonrpc": "2.0", "id": bad_id, "method": "keel/health", "params": {}}))
    await still_serving(served)
    refused = [m for m in served.out.messages if m.get("id") is None and "error" in m]
    assert refused and refused[-1]["error"]["code"] == -32600


async def test_a_huge_method_name_is_not_echoed_in_full(served):
    method = "keel/" + "x" * 5_000_000
    served.feed(framed(request(14, method)))
    answer = await served.out.response(14)
    assert answer["error"]["code"] == -32601
    assert len(json.dumps(answer)) < 10_000
    await still_serving(served)
