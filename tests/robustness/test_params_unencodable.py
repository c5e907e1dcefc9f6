"""Text no store or file system can hold is refused at the boundary, naming the field (issue 21, 4).

A JSON string may carry a lone surrogate (``"\\ud800"``): Python keeps it, SQLite, file
names and UTF-8 logs cannot, so it used to fail deep inside (``internal.unexpected``
from SQLite for ``keel/runs``). Every param of every method is now checked once, in
``ParamsModel``. A client's run id is bounded and of a documented alphabet: a 1 MB one
used to be accepted and stored (13 MB of history for one run).
"""

from __future__ import annotations

import json

import pytest

from keel.protocol.methods import (
    CANCEL_RUN,
    ESTIMATE_COST,
    GENERATE_FIX,
    RUN_FINDINGS,
    RUN_WORKFLOW,
    RUNS,
)

from .harness import framed

pytestmark = pytest.mark.timeout(60)
LONE = "\ud800"

CASES = [
    (RUNS, {"workflow": LONE}, "workflow"),
    (RUN_WORKFLOW, {"workflow": "review", "target": "a.py", "runId": LONE}, "runId"),
    (RUN_WORKFLOW, {"workflow": LONE, "target": "a.py"}, "workflow"),
    (RUN_WORKFLOW, {"workflow": "review", "target": f"a{LONE}.py"}, "target"),
    (RUN_WORKFLOW, {"workflow": "review", "target": "a.py", "options": {"k": [LONE]}}, "options"),
    (RUN_WORKFLOW, {"workflow": "review", "target": "a.py", "options": {LONE: 1}}, "options"),
    (ESTIMATE_COST, {"workflow": LONE, "target": "a.py"}, "workflow"),
    (CANCEL_RUN, {"runId": f"r{LONE}"}, "runId"),
    (RUN_FINDINGS, {"runId": LONE}, "runId"),
    (GENERATE_FIX, {"uri": "file:///ws/a.py", "findingId": LONE}, "findingId"),
]


async def ask_raw(served, msg_id, method, params):
    # json.dumps escapes the surrogate as \ud800, exactly what a hostile client sends.
    served.feed(framed(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method,
                                   "params": params}).encode()))
    return await served.out.response(msg_id)


@pytest.mark.parametrize(("method", "params", "field"), CASES,
                         ids=[f"{m}-{f}-{i}" for i, (m, _, f) in enumerate(CASES)])
async def test_lone_surrogate_is_invalid_params_naming_the_field(served, method, params, field):
    answer = await ask_raw(served, 1, method, params)
    error = answer.get("error")
    assert error is not None and error["code"] == -32602, answer
    assert error["data"]["errorType"] == "validation"
    assert error["data"]["field"] == field
    assert (await served.ask("probe", "keel/health"))["result"]["version"]


@pytest.mark.parametrize("run_id", ["r" * 1_000_000, "r" * 129, "has space", "a/b", "é", ""])
async def test_client_run_ids_are_bounded_to_a_documented_alphabet(served, run_id):
    for method, params in ((RUN_WORKFLOW, {"workflow": "review", "target": "a.py", "runId": run_id}),
                           (CANCEL_RUN, {"runId": run_id})):
        answer = await ask_raw(served, method, method, params)
        assert answer["error"]["code"] == -32602, answer
        assert answer["error"]["data"]["field"] == "runId"
        assert len(answer["error"]["message"]) < 1000  # the 1 MB id is not quoted back


async def test_run_ids_of_the_alphabet_are_accepted(served):
    # A UUID (the extension's) and the server's own form pass validation: the answer is about
    # the run being unknown, not about the id.
    for run_id in ("0f8fad5b-d9cb-469f-a165-70867728950e", "run-0123456789ab", "A.b_c:d-" * 16):
        answer = await ask_raw(served, run_id, CANCEL_RUN, {"runId": run_id})
        assert answer["error"]["data"]["code"] == "run.unknown", answer

