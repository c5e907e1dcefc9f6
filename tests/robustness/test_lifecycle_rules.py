"""Lifecycle rules on the real protocol (in process): nothing before ``initialize``, no second
``initialize``, receipt times kept through start-up; the advisor's LSP features (code actions,
progress) go through the one dispatch path, tracked in flight and cancellable."""

from __future__ import annotations

import asyncio
import time

import pytest

from keel.app.state import KeelApp
from keel.lsp.framing import Frame

from .harness import InProcessServer, framed, request

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def fresh(tmp_path):
    server = InProcessServer(KeelApp(worker_pool_size=1))
    yield server
    await server.close()


async def test_a_request_before_initialize_is_refused_with_32002(fresh, tmp_path):
    answer = await fresh.ask(1, "keel/health")
    assert answer["error"]["code"] == -32002
    fresh.feed(framed({"jsonrpc": "2.0", "method": "initialized", "params": {}}))  # dropped
    await fresh.initialize(tmp_path)
    assert "result" in await fresh.ask(2, "keel/health")


async def test_a_second_initialize_is_refused_and_does_not_re_root(served, tmp_path):
    answer = await served.ask(3, "initialize", {"processId": None, "rootUri": "file:///etc",
                                                "capabilities": {}})
    assert answer["error"]["code"] == -32600
    assert served.app.workspace_folders == [(tmp_path / "ws").resolve()]


async def test_a_frame_read_during_start_up_keeps_its_receipt_time(served):
    # As the fast start hands over frames it read while the server loaded:
    # a request received 60 s ago is past its 5 s deadline whatever happens next.
    body = framed(request(4, "keel/health")).split(b"\r\n\r\n", 1)[1]
    from keel.lsp.transport import deliver_item

    deliver_item(served.server.protocol, Frame(body, time.monotonic() - 60))
    answer = await served.out.response(4)
    assert answer["error"]["data"]["code"] == "deadline.exceeded"


def code_action_params(uri: str) -> dict:
    diagnostic = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                  "message": "m", "source": "keel", "data": {"findingId": "f1", "fixable": True}}
    return {"textDocument": {"uri": uri}, "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]}}


@pytest.fixture
def blocked_fix(monkeypatch):
    from keel.app import advisor_ops

    started, release = asyncio.Event(), asyncio.Event()

    async def generate_fix(app, params):
        started.set()
        await release.wait()
        raise AssertionError("not reached in these tests")

    monkeypatch.setattr(advisor_ops, "generate_fix", generate_fix)
    return started, release


async def test_code_actions_are_tracked_in_flight_and_a_cancel_answers_32800(served, blocked_fix, tmp_path):
    started, _ = blocked_fix
    served.feed(framed(request(5, "textDocument/codeAction", code_action_params((tmp_path / "ws/a.py").as_uri()))))
    await started.wait()
    health = await served.ask(6, "keel/health")
    assert health["result"]["inFlight"]["byMethod"].get("textDocument/codeAction") == 1
    served.feed(framed({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 5}}))
    answer = await served.out.response(5)
    assert answer["error"]["code"] == -32800 and "result" not in answer


async def test_server_creates_progress_for_an_analysis_without_a_token(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return x\n")
    server = InProcessServer(KeelApp(worker_pool_size=1))
    try:
        answer = await server.ask("init", "initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {"window": {"workDoneProgress": True}}})
        assert "result" in answer
        server.feed(framed(request(7, "keel/analyze", {"uri": (root / "a.py").as_uri()})))
        create = await server.out.request_from_server("window/workDoneProgress/create")
        server.feed(framed({"jsonrpc": "2.0", "id": create["id"], "result": None}))
        assert "result" in await server.out.response(7)
        kinds = [m["params"]["value"]["kind"] for m in server.out.messages
                 if m.get("method") == "$/progress" and m["params"]["token"] == create["params"]["token"]]
        assert kinds == ["begin", "end"]
    finally:
        await server.close()
