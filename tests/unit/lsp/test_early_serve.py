"""The EarlyServer (keel.lsp.early_serve): what it serves before pygls loads, and what it leaves."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from keel.app.state import KeelApp
from keel.lsp.early_serve import EarlyDocuments, EarlyServer
from keel.lsp.early_serve_gate import usable_initialize
from keel.lsp.framing import BrokenFrame, Frame


def frame(message: dict[str, Any], received_at: float | None = None) -> Frame:
    return Frame(json.dumps({"jsonrpc": "2.0", **message}).encode(),
                 time.monotonic() if received_at is None else received_at)


def early_server(tmp_path: Path) -> tuple[EarlyServer, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    params = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
    server = EarlyServer(KeelApp(), sent.append, lambda i, b: sent.append({"id": i, "result": json.loads(b)}),
                         params)
    return server, sent


async def test_a_held_request_s_deadline_counts_from_its_receipt(tmp_path):
    server, sent = early_server(tmp_path)
    long_ago = time.monotonic() - 60  # read off the wire a minute before the app existed
    outcome = server.offer(frame({"id": 7, "method": "keel/estimateCost",
                                  "params": {"workflow": "review", "target": "a.py", "timeoutMs": 1000}},
                                 long_ago))
    assert outcome == "served"
    await asyncio.gather(*server.running.values(), return_exceptions=True)
    (reply,) = [m for m in sent if m.get("id") == 7]
    assert reply["error"]["code"] == -32803 and reply["error"]["data"]["code"] == "deadline.exceeded"


async def test_a_cancel_for_a_request_served_early_cancels_it(tmp_path):
    server, sent = early_server(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    assert server.offer(frame({"id": 3, "method": "keel/estimateCost",
                               "params": {"workflow": "review", "target": "a.py"}})) == "served"
    assert server.offer(frame({"method": "$/cancelRequest", "params": {"id": 3}})) == "served"
    await asyncio.gather(*server.running.values(), return_exceptions=True)
    await asyncio.sleep(0)
    (reply,) = [m for m in sent if m.get("id") == 3]
    assert reply["error"]["code"] == -32800


async def test_the_first_message_it_cannot_serve_exactly_holds_everything_after_it(tmp_path):
    server, _ = early_server(tmp_path)
    uri = (tmp_path / "a.py").as_uri()
    assert server.offer(frame({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}})) == "applied"
    # An incremental edit (UTF-16 ranges) is pygls's to apply: a barrier.
    edit = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "text": "y"}
    assert server.offer(frame({"method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [edit]}})) == "held"
    assert server.stopped
    assert server.offer(frame({"id": 1, "method": "keel/analyze", "params": {"uri": uri}})) == "held"
    assert server.documents.get(uri).text == "x = 1\n"


async def test_hostile_messages_are_left_to_the_loaded_server(tmp_path):
    for hostile in (BrokenFrame("the header block is over 65536 bytes", None, time.monotonic()), None,
                    frame({"id": 1, "method": "keel/noSuchMethod"}), frame({"id": 2, "method": "shutdown"}),
                    Frame(b"{not json", time.monotonic())):
        server, sent = early_server(tmp_path)
        assert server.offer(hostile) == "held" and server.stopped and sent == []


def test_documents_apply_whole_text_changes_and_refuse_what_they_cannot_apply_exactly():
    documents = EarlyDocuments()
    uri = "file:///w/a.py"
    assert not documents.apply("textDocument/didOpen", {"textDocument": {"uri": uri, "version": 1, "text": "a"}})
    assert documents.apply("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "a"}})
    assert documents.apply("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                      "contentChanges": [{"text": "b"}, {"text": "c"}]})
    assert documents.get(uri).text == "c" and documents.get(uri).version == 2
    assert not documents.apply("textDocument/didChange", {"textDocument": {"uri": "file:///w/other.py",
                                                                           "version": 1},
                                                          "contentChanges": [{"text": "b"}]})
    assert documents.apply("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert documents.get(uri) is None


def test_requests_are_served_early_only_after_an_initialize_pygls_accepts():
    assert usable_initialize({"processId": None, "capabilities": {}, "rootUri": "file:///w"})
    assert not usable_initialize({"processId": "1", "capabilities": {}})
    assert not usable_initialize({"capabilities": 5})
    assert not usable_initialize({"capabilities": {}, "workspaceFolders": [{"uri": 3, "name": "w"}]})


async def test_initialized_imports_wait_for_the_requests_that_do_not_need_them(tmp_path, monkeypatch):
    from keel.lsp import early_serve

    release = asyncio.Event()
    order: list[str] = []

    async def slow_dispatch(app, method, params, msg_id, encoded=False):
        await release.wait()
        order.append(f"answered {method}")
        return {}

    monkeypatch.setattr(early_serve, "dispatch", slow_dispatch)
    monkeypatch.setattr(early_serve, "import_for_initialized", lambda: order.append("imports"))
    monkeypatch.setattr(early_serve, "start_after_initialized", lambda app, spawn: order.append("applied"))
    monkeypatch.setattr(early_serve, "YIELD_POLL_S", 0.0)
    server, _ = early_server(tmp_path)
    assert server.offer(frame({"method": "initialized", "params": {}})) == "applied"
    assert server.offer(frame({"id": 1, "method": "keel/analyze", "params": {"uri": "file:///w/a.py"}})) == "served"
    assert server.offer(frame({"id": 2, "method": "keel/health", "params": {}})) == "served"
    for _ in range(50):
        await asyncio.sleep(0)
    assert order == []  # the analysis runs; initialized's imports and the health wait
    release.set()
    await asyncio.gather(*server.running.values())
    assert order == ["answered keel/analyze", "imports", "applied", "answered keel/health"]
