"""Generated input: whatever bytes come first, the next well-formed request is answered.

Each example sends hypothesis-made bytes (random, mutated frames, odd headers)
to a fresh in-process server, then a well-formed ``keel/health`` with a fresh
id, which must get its result while the read loop is still running.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keel.app.state import KeelApp

from .harness import InProcessServer, framed, request

pytestmark = pytest.mark.timeout(600)
VALID = framed(request(1, "keel/health"))
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@st.composite
def mutated_frames(draw) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["delete", "insert", "flip", "truncate"]))
        if op == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
    return bytes(data)


@st.composite
def odd_headers(draw) -> bytes:
    value = draw(st.one_of(st.integers(-10**6, 10**12).map(lambda n: str(n).encode()),
                           st.binary(max_size=12)))
    separator = draw(st.sampled_from([b"\r\n\r\n", b"\r\n", b"\n\n", b"\n", b"", b"\r\n\r\n\r\n"]))
    body = draw(st.sampled_from([b"", b"{", b'{"jsonrpc": "2.0", "id": 5, "method": "keel/health"}',
                                 b"[" * 1200, b"\xff\xfe"]))
    # Misspelt names too (issue 21): a blank before the colon, "_" or a blank for "-".
    name = draw(st.sampled_from([b"Content-Length: ", b"Content-Length : ", b"Content_Length: ",
                                 b"content length:", b"Content-Length\t:"]))
    return name + value + separator + body


hostile = st.one_of(st.binary(max_size=400), mutated_frames(), odd_headers(),
                    st.lists(odd_headers(), min_size=2, max_size=4).map(b"".join))


async def answered_after(junk: bytes) -> dict:
    server = InProcessServer(KeelApp(worker_pool_size=1))
    with tempfile.TemporaryDirectory(prefix="keel-fuzz-") as workspace:
        try:
            await server.initialize(Path(workspace))
            server.feed(junk)
            answer = await asyncio.wait_for(server.ask("probe-after-junk", "keel/health"), 10)
            assert server.serving
            return answer
        finally:
            await server.close()


@FUZZ
@given(junk=hostile)
def test_hostile_bytes_never_stop_or_deafen_the_server(junk):
    answer = asyncio.run(answered_after(junk))
    assert answer["result"]["version"], json.dumps(answer)[:300]
