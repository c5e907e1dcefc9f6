"""The fast start answers keel/health while loading, then hands the real report over."""

from __future__ import annotations

import json
import time

import pytest
from lsprotocol.types import ResponseError

from keel.lsp.early import EarlyAnswers
from keel.lsp.early_health import starting_report
from keel.lsp.framing import Frame
from keel.lsp.protocol import KeelProtocol
from keel.protocol.health import HealthReport

pytestmark = pytest.mark.timeout(30)
STARTING_OK = {"whileStarting": True}


def message(method, msg_id=None, params=None) -> Frame:
    body = {"jsonrpc": "2.0", "method": method, "params": {} if params is None else params}
    if msg_id is not None:
        body["id"] = msg_id
    return Frame(json.dumps(body).encode(), time.monotonic())


def test_the_starting_report_has_the_protocols_health_report_shape():
    report = starting_report({"keel/analyze": 2})
    parsed = HealthReport.model_validate(report)  # camelCase wire names, every required field
    assert parsed.model_dump(by_alias=True, exclude_none=True) == report
    assert report["level"] == "degraded" and report["seq"] == 0
    assert {c["name"] for c in report["components"]} >= {"config", "storage", "analysis"}
    assert report["inFlight"] == {"total": 2, "byMethod": {"keel/analyze": 2}}


def test_health_read_while_loading_is_answered_at_once_with_the_requests_still_waiting():
    sent: list[dict] = []
    early = EarlyAnswers(sent.append, initialized=True)
    early.hold(message("initialize", 1, {"capabilities": {}}))
    early.hold(message("initialized"))
    early.hold(message("keel/analyze", 2, {"uri": "file:///ws/a.py"}))
    early.hold(message("keel/health", 3, STARTING_OK))
    early.hold(message("keel/health", 4, STARTING_OK))
    assert [r["id"] for r in sent] == [3, 4]
    assert sent[0]["result"]["inFlight"] == {"total": 1, "byMethod": {"keel/analyze": 1}}
    assert "starting" in sent[0]["result"]["summary"]
    assert early.health_ids == {3, 4}
    assert len(early.startup.remaining()) == 5  # all still handed to the loaded server


@pytest.mark.parametrize("before", [[], [message("shutdown", 9)], [message("exit")]])
def test_health_is_left_to_the_server_before_initialize_or_after_shutdown(before):
    # The server answers those -32002 (not initialized) or -32600 (shutting down).
    sent: list[dict] = []
    early = EarlyAnswers(sent.append, initialized=bool(before))
    for item in before:
        early.hold(item)
    early.hold(message("keel/health", 3, STARTING_OK))
    assert sent == [] and early.health_ids == set()


@pytest.mark.parametrize("params", [{}, None, {"whileStarting": False}, {**STARTING_OK, "bogus": 1}])
def test_health_that_does_not_ask_for_a_starting_report_is_left_to_the_server(params):
    # Without the flag it waits for the real report; with an unknown field the server answers -32602.
    sent: list[dict] = []
    early = EarlyAnswers(sent.append, initialized=True)
    early.hold(message("keel/health", 3, params))
    early.hold(message("keel/health", None, STARTING_OK))  # a notification: nothing to answer
    assert sent == [] and early.health_ids == set()


class Recording:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def messages(self) -> list[dict]:
        return [json.loads(data.partition(b"\r\n\r\n")[2]) for data in self.written]


def taken_over(answered_initialize, answered_health) -> tuple[KeelProtocol, Recording]:
    from keel.app.state import KeelApp
    from keel.lsp.server import build_server

    app = KeelApp(worker_pool_size=1)
    protocol = build_server(app).protocol
    app.close()
    transport = Recording()
    protocol.set_writer(transport)
    protocol.take_over(answered_initialize, answered_health)
    return protocol, transport


def test_the_servers_reply_to_an_early_answered_health_becomes_one_health_changed():
    real = {"level": "healthy", "summary": "Keel is healthy.", "seq": 3}
    protocol, transport = taken_over(None, {3, 4, 5})
    protocol.respond(2, result={"findings": []})
    protocol.respond(5, error=ResponseError(code=-32800, message="cancelled"))
    protocol.respond(3, result=real)
    protocol.respond(4, result=real)
    protocol.respond(3, result=real)  # a later request reusing the id
    assert transport.messages() == [
        {"jsonrpc": "2.0", "id": 2, "result": {"findings": []}},
        {"jsonrpc": "2.0", "method": "keel/healthChanged", "params": real},
        {"jsonrpc": "2.0", "id": 3, "result": real},
    ]


def test_the_initialize_the_session_answered_is_not_answered_again_and_nothing_is_parsed():
    protocol, transport = taken_over(1, {2})
    protocol.respond(1, result={"capabilities": {}})
    protocol.send_raw({"jsonrpc": "2.0", "id": 2, "error": {"code": -32603, "message": "Internal error"}})
    protocol.respond(1, result={"again": True})  # a later request reusing the id is answered
    protocol.send_raw({"jsonrpc": "2.0", "id": 2, "error": {"code": -32603, "message": "Internal error"}})
    assert transport.messages() == [
        {"jsonrpc": "2.0", "id": 1, "result": {"again": True}},
        {"jsonrpc": "2.0", "id": 2, "error": {"code": -32603, "message": "Internal error"}},
    ]
    # The writer gets the frames as pygls built them: no wrapper looks into outgoing JSON.
    assert type(protocol.writer) is Recording


def test_the_starting_report_lists_the_components_the_monitor_starts_with():
    from keel.health.monitor import HealthMonitor

    assert [c["name"] for c in starting_report({})["components"]] == [c.name for c in HealthMonitor().components()]
