"""Deduplication under load, through the real read loop and dispatch path (issue 21, point 1).

50 identical keel/runWorkflow requests arriving at once used to make 9 runs and 9 model
calls: the per-method admission limit (6) held the later requests back, and each wave that
got in after a run had finished started a new one. Now an identical request joins the run
in flight (or the request about to start it) before admission; only runs take a slot.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from keel.app.state import KeelApp
from keel.lsp.admission import LIMIT
from keel.protocol.methods import RUN_EVENT, RUN_WORKFLOW
from keel.records import MemoryRecorder

from ..unit.workflows.workflow_fakes import BUGGY, FakeProvider, _thread_cpu, provider_set
from .harness import InProcessServer, framed, request

pytestmark = pytest.mark.timeout(120)

REQUESTS = 50


@pytest.fixture
async def counted(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    for name in ("buggy.py", *(f"m{i}.py" for i in range(LIMIT + 2))):
        (root / name).write_text(BUGGY)
    gate = asyncio.Event()
    provider = FakeProvider("a", gate=gate)
    built = provider_set(provider)
    app = KeelApp(worker_pool_size=1, workspace_trusted=True, run_cpu=_thread_cpu,
                  recorder=MemoryRecorder(), provider_factory=lambda settings, env: built)
    server = InProcessServer(app)
    answer = await server.ask("init", "initialize", {
        "processId": None, "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"workspaceTrusted": True}})
    assert "result" in answer
    yield server, provider, gate
    gate.set()
    await server.close()


def events(server: InProcessServer, kind: str) -> list[dict[str, Any]]:
    return [m["params"] for m in server.out.messages
            if m.get("method") == RUN_EVENT and m["params"]["kind"] == kind]


async def until(server: InProcessServer, condition) -> None:
    while not condition():
        server.out._arrived.clear()
        await server.out._arrived.wait()


async def test_fifty_identical_requests_make_one_run_and_one_model_call(counted):
    server, provider, gate = counted
    params = {"workflow": "review", "target": "buggy.py"}
    server.feed(b"".join(framed(request(i, RUN_WORKFLOW, params)) for i in range(REQUESTS)))
    # Every request but the first attaches while the model call is held: none waits for a
    # slot that only the end of the run would free (the old code stopped at LIMIT - 1 here).
    await until(server, lambda: len(events(server, "attached")) == REQUESTS - 1)
    gate.set()
    answers = [await server.out.response(i) for i in range(REQUESTS)]
    assert all("result" in a for a in answers), [a for a in answers if "error" in a][:1]
    assert len({a["result"]["runId"] for a in answers}) == 1
    assert sum(a["result"]["deduplicated"] for a in answers) == REQUESTS - 1
    assert len(provider.requests) == 1
    assert len(events(server, "started")) == 1
    assert [r.status for r in server.app.recorder.finished] == ["succeeded"]


async def test_admission_still_limits_distinct_runs_and_each_run_gives_its_slot_back(counted):
    server, provider, gate = counted
    count = LIMIT + 2
    server.feed(b"".join(framed(request(i, RUN_WORKFLOW, {"workflow": "review", "target": f"m{i}.py"}))
                         for i in range(count)))
    await until(server, lambda: len([e for e in events(server, "stageStarted")
                                     if e.get("stage") == "review"]) == LIMIT)
    # Held model calls keep LIMIT runs busy: the other two stay queued, not started.
    assert len(events(server, "started")) == LIMIT
    gate.set()
    answers = [await server.out.response(i) for i in range(count)]
    assert all(a["result"]["status"] == "succeeded" for a in answers)
    assert len({a["result"]["runId"] for a in answers}) == count
    # Identical to a finished run: a new run (a slot was given back by each finished run).
    answer = await server.ask("again", RUN_WORKFLOW, {"workflow": "review", "target": "m0.py"})
    assert answer["result"]["deduplicated"] is False and len(provider.requests) == count + 1


async def test_identical_request_with_a_failing_target_fails_alike_without_a_run(counted):
    server, provider, _gate = counted
    params = {"workflow": "review", "target": "missing.py"}
    server.feed(b"".join(framed(request(i, RUN_WORKFLOW, params)) for i in range(REQUESTS)))
    answers = [await server.out.response(i) for i in range(REQUESTS)]
    assert {a["error"]["data"]["code"] for a in answers} == {"target.not_found"}
    assert provider.requests == [] and events(server, "queued") == []
