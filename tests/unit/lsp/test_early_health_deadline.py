"""A keel/health still held while the server loads is answered "starting" before its deadline,
never -32803 (issue 22: requests in the first seconds are answered within their deadline)."""

from __future__ import annotations

import json

import pytest

from keel.lsp.early import EarlyAnswers
from keel.lsp.early_deadlines import health_due, peek
from keel.lsp.early_health import ANSWER_AT, HEALTH_DEADLINE_MS, configured_health_ms
from keel.lsp.framing import Frame
from keel.protocol.health import HealthReport
from keel.protocol.methods import HEALTH, METHODS

RECEIVED = 1000.0  # a monotonic receipt stamp: the checks pass "now" explicitly, no clock is read


def held(msg_id, method, params=None) -> Frame:
    body = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params or {}}
    return Frame(json.dumps(body).encode(), RECEIVED)


def test_the_fast_starts_health_deadline_is_the_method_tables():
    assert HEALTH_DEADLINE_MS == METHODS[HEALTH].deadline_ms


@pytest.mark.parametrize(("params", "expected"), [
    ({"initializationOptions": {"settings": {"timeouts": {"healthMs": 1200}}}}, 1200),
    ({"initializationOptions": {"settings": {"timeouts": {}}}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": {"settings": {"timeouts": {"healthMs": "1200"}}}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": {"settings": {"timeouts": {"healthMs": True}}}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": {"settings": {"timeouts": {"healthMs": -5}}}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": {"settings": {"timeouts": {"healthMs": 10**12}}}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": {"settings": ["not", "an", "object"]}}, HEALTH_DEADLINE_MS),
    ({"initializationOptions": None}, HEALTH_DEADLINE_MS),
    (None, HEALTH_DEADLINE_MS),
])
def test_the_configured_health_deadline_is_read_from_initialize_as_the_server_would(params, expected):
    assert configured_health_ms(params) == expected


def test_a_health_request_is_due_before_its_deadline_unless_the_server_would_refuse_it():
    assert health_due(peek(held(1, HEALTH)), 5000) == RECEIVED + 5.0 * ANSWER_AT
    assert health_due(peek(held(1, HEALTH, {"whileStarting": False})), 1000) == RECEIVED + 1.0 * ANSWER_AT
    assert health_due(peek(held(None, HEALTH)), 5000) is None  # a notification: nothing to answer
    assert health_due(peek(held(1, "keel/estimateCost")), 5000) is None
    # The server answers these -32602: keel/health takes no timeoutMs, nor anything else.
    for params in ({"timeoutMs": 1000}, {"bogus": 1}, {"whileStarting": "yes"}, ["list"]):
        assert health_due(peek(held(1, HEALTH, params)), 5000) is None, params


def test_health_held_past_its_due_time_gets_the_starting_report_not_a_deadline_error():
    sent: list[dict] = []
    early = EarlyAnswers(sent.append, initialized=True, health_ms=1000)
    estimate = held(1, "keel/estimateCost", {"workflow": "review", "target": "a.py"})
    refused = held(4, HEALTH, {"bogus": True})
    for item in (estimate, held(2, HEALTH), refused):
        early.hold(item)
    early.startup.expire(RECEIVED + 1.0 * ANSWER_AT - 0.001)
    assert sent == []  # nothing is due yet
    early.startup.expire(RECEIVED + 1.0 * ANSWER_AT)
    assert [m["id"] for m in sent] == [2]
    report = HealthReport.model_validate(sent[0]["result"])
    assert report.starting and report.in_flight.by_method == {"keel/estimateCost": 1}
    early.startup.expire(RECEIVED + 60)
    assert len(sent) == 1
    assert early.startup.remaining() == [estimate, refused]  # only what the server must still answer


def test_health_is_not_answered_early_before_initialize_was_answered_or_after_shutdown():
    sent: list[dict] = []
    before = EarlyAnswers(sent.append, initialized=False)
    before.hold(held(1, HEALTH))
    before.startup.expire(RECEIVED + 60)
    assert sent == []  # -32002 is the loaded server's answer
    after = EarlyAnswers(sent.append, initialized=True)
    after.hold(held(2, HEALTH))
    after.hold(held(3, HEALTH, {"timeoutMs": 100}))
    after.hold(held(4, "shutdown"))
    after.startup.expire(RECEIVED + 60)
    # Held past shutdown: 2 goes to the server, 3's own deadline passed: -32803 as before.
    assert [(m["id"], m["error"]["code"]) for m in sent] == [(3, -32803)]
    assert [peek(item).msg_id for item in after.startup.remaining()] == [2, 4]


def test_a_health_asking_for_the_starting_report_is_answered_once():
    sent: list[dict] = []
    early = EarlyAnswers(sent.append, initialized=True)
    early.hold(held(1, HEALTH, {"whileStarting": True}))
    early.startup.expire(RECEIVED + 60)
    assert [m["id"] for m in sent] == [1]
