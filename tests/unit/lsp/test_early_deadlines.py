"""A deadline that passes while the server is still loading is answered then."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from keel.lsp.early import EarlyAnswers, _hold_while_loading
from keel.lsp.early_deadlines import own_deadline, peek
from keel.lsp.framing import Frame

pytestmark = pytest.mark.timeout(30)


def frame_of(msg_id, method, params, received_at=None) -> Frame:
    body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
    return Frame(body, time.monotonic() if received_at is None else received_at)


def watched(item):
    return own_deadline(peek(item))


def test_only_keel_requests_naming_their_own_timeout_are_watched_and_never_runs():
    assert watched(frame_of(1, "keel/analyze", {"timeoutMs": 500}, 100.0)) == (1, "keel/analyze", 100.5)
    assert watched(frame_of(2, "keel/analyze", {}, 100.0)) is None
    assert watched(frame_of(3, "keel/runWorkflow", {"timeoutMs": 500}, 100.0)) is None
    assert watched(frame_of(4, "textDocument/codeAction", {"timeoutMs": 500}, 100.0)) is None
    assert watched(frame_of({"x": 1}, "keel/analyze", {"timeoutMs": 500}, 100.0)) is None
    assert watched(frame_of(True, "keel/analyze", {"timeoutMs": 500}, 100.0)) is None
    assert watched(Frame(b'{"id": 5, "method": "keel/analyze", "params": {"timeoutMs": 5}}', 100.0)) is None
    assert watched(None) is None


async def test_a_deadline_passing_during_start_up_is_answered_and_the_request_dropped():
    sent: list[dict] = []
    replied = asyncio.Event()
    early = EarlyAnswers(lambda reply: (sent.append(reply), replied.set()), initialized=False)
    frames: asyncio.Queue = asyncio.Queue()
    loading = asyncio.get_running_loop().create_future()
    analyze = frame_of(1, "keel/analyze", {"uri": "file:///ws/a.py", "timeoutMs": 20})
    run = frame_of(2, "keel/runWorkflow", {"workflow": "review", "target": ".", "timeoutMs": 20})
    health = frame_of(3, "keel/health", {})
    for item in (analyze, run, health):
        frames.put_nowait(item)
    holding = asyncio.ensure_future(_hold_while_loading(frames, loading, early))
    await replied.wait()  # answered while "loading" has not finished
    assert not holding.done()
    loading.set_result(None)
    await holding
    assert [(r["id"], r["error"]["code"], r["error"]["data"]["code"]) for r in sent] == [
        (1, -32803, "deadline.exceeded")]
    assert early.startup.remaining() == [run, health]  # kept, with their receipt times, for the server
