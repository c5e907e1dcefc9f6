"""Issue 22 point 2: held keel/* requests are served once the app exists, before
``keel.lsp.server`` (pygls, lsprotocol) has been imported, with the answers the loaded
server gives.

The import of ``keel.lsp.server`` is held back by a meta-path hook until the test
releases it, so "before the server loaded" is a fact, not a race.
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import keel.lsp
from keel.lsp import server as loaded_server_module

from .harness import request
from .test_fast_start import WAIT_S, serve_fast

pytestmark = pytest.mark.timeout(120)
OPENED = "def f(x=[]):\n    return x == None\n"  # only in the editor: never written to disk


class HoldImport:
    """A meta-path finder whose loader blocks the import of one module until released.

    Blocked in ``exec_module``, not ``find_spec``: finders run under the global import
    lock, which would stop every other thread's imports too."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()
        self._real: Any = None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        assert spec is not None
        self._real, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec: Any) -> Any:
        return self._real.create_module(spec)

    def exec_module(self, module: Any) -> None:
        assert self.release.wait(WAIT_S)
        self._real.exec_module(module)


@pytest.fixture
def held_server_import(monkeypatch):
    hold = HoldImport("keel.lsp.server")
    monkeypatch.delitem(sys.modules, "keel.lsp.server")
    monkeypatch.delattr(keel.lsp, "server")
    monkeypatch.setattr(sys, "meta_path", [hold, *sys.meta_path])
    yield hold
    hold.release.set()
    sys.modules.setdefault("keel.lsp.server", loaded_server_module)


def replies(stdio, wanted: set[Any]) -> dict[Any, dict[str, Any]]:
    got: dict[Any, dict[str, Any]] = {}
    while not wanted <= set(got):
        message = stdio.next()
        if "id" in message and "method" not in message:
            got[message["id"]] = message
    return got


def without_request_id(error: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in error.get("data", {}).items() if k != "requestId"}
    return {**error, "data": data}



def shut_down(stdio, serving, codes: list[int], msg_id: int) -> None:
    """shutdown (request ``msg_id``) and exit, as a client ends the session: the server ends with 0."""
    stdio.send(request(msg_id, "shutdown"))
    stdio.send({"jsonrpc": "2.0", "method": "exit"})
    serving.join(WAIT_S)
    assert codes == [0]

def test_a_held_analysis_is_answered_before_the_server_module_loads_and_as_the_loaded_server_answers(
        monkeypatch, held_server_import, tmp_path: Path):
    stdio, serving, codes = serve_fast(monkeypatch)
    uri = (tmp_path / "opened.py").as_uri()
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
                                         "workspaceFolders": [{"uri": tmp_path.as_uri(), "name": "w"}]}))
    stdio.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stdio.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 3, "text": OPENED}}})
    stdio.send(request(2, "keel/analyze", {"uri": uri}))
    stdio.send(request(3, "keel/analyze", {"uri": 5}))  # hostile: bad params
    stdio.send(request(4, "keel/noSuchMethod", {}))  # unknown: the loaded server's to answer
    stdio.send(request(5, "keel/analyze", {"uri": uri}))  # after it: held for the loaded server too

    early = replies(stdio, {1, 2, 3})
    assert not held_server_import.release.is_set()  # the server module has not run
    assert "result" in early[2], early[2]
    analysis = early[2]["result"]
    assert analysis["version"] == 3  # the held didOpen was applied first: the editor's text
    assert {"mutable-default-argument"} <= {f["rule"] for f in analysis["findings"]}
    assert early[3]["error"]["code"] == -32602

    held_server_import.release.set()
    later = replies(stdio, {4, 5})
    assert later[5]["result"]["findings"] == analysis["findings"]  # pygls got the didOpen too
    stdio.send(request(6, "keel/analyze", {"uri": 5}))
    stdio.send(request(7, "keel/noSuchMethod", {}))
    loaded = replies(stdio, {6, 7})
    assert without_request_id(early[3]["error"]) == without_request_id(loaded[6]["error"])
    assert later[4]["error"] == loaded[7]["error"]

    shut_down(stdio, serving, codes, 8)


def test_once_the_app_exists_health_is_the_real_report_even_while_pygls_loads(
        monkeypatch, held_server_import, tmp_path: Path):
    stdio, serving, codes = serve_fast(monkeypatch)
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}))
    stdio.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stdio.send(request(2, "keel/health"))  # waits for the app: answered by the early server
    first = replies(stdio, {1, 2})[2]["result"]
    stdio.send(request(3, "keel/health", {"whileStarting": True}))
    second = replies(stdio, {3})[3]["result"]
    assert not held_server_import.release.is_set()  # pygls has not loaded
    for report in (first, second):
        assert not report.get("starting") and "starting" not in report["summary"]
        assert {c["name"] for c in report["components"]} >= {"config", "storage", "analysis"}
    held_server_import.release.set()
    shut_down(stdio, serving, codes, 4)


def test_when_the_early_server_cannot_start_the_loaded_server_serves_everything(monkeypatch, tmp_path: Path):
    from keel.lsp import early_serve

    def broken(*args, **kwargs):
        raise RuntimeError("a bug while applying initialize early")

    monkeypatch.setattr(early_serve, "EarlyServer", broken)
    stdio, serving, codes = serve_fast(monkeypatch)
    uri = (tmp_path / "opened.py").as_uri()
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}))
    stdio.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stdio.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 3, "text": OPENED}}})
    stdio.send(request(2, "keel/analyze", {"uri": uri}))
    analysis = replies(stdio, {1, 2})[2]["result"]
    assert analysis["version"] == 3 and "mutable-default-argument" in {f["rule"] for f in analysis["findings"]}
    shut_down(stdio, serving, codes, 3)


def test_an_early_analysis_shows_progress_the_client_created_as_the_loaded_server_would(
        monkeypatch, held_server_import, tmp_path: Path):
    stdio, serving, codes = serve_fast(monkeypatch)
    uri = (tmp_path / "opened.py").as_uri()
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(),
                                         "capabilities": {"window": {"workDoneProgress": True}}}))
    stdio.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": OPENED}}})
    stdio.send(request(2, "keel/analyze", {"uri": uri}))
    seen: list[dict[str, Any]] = []
    while not any(m.get("id") == 2 and "method" not in m for m in seen):
        message = stdio.next()
        seen.append(message)
        if message.get("method") == "window/workDoneProgress/create":
            token = message["params"]["token"]
            stdio.send({"jsonrpc": "2.0", "id": message["id"], "result": None})  # the client's answer
    assert not held_server_import.release.is_set()
    kinds = [m["params"]["value"]["kind"] for m in seen
             if m.get("method") == "$/progress" and m["params"]["token"] == token]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert [m for m in seen if m.get("id") == 2][0]["result"]["version"] == 1
    held_server_import.release.set()
    shut_down(stdio, serving, codes, 3)
