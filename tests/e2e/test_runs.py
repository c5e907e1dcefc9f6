"""End to end: workflow runs against the real `keel serve`, the chaos server as the provider."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig

from keel.chaos import ChaosServer
from keel.chaos.schedule import Fault, Schedule

from .helpers import (
    SERVER_COMMAND,
    accept_registrations,
    initialize,
    keep_raw_json,
    on_shared_server,
    plain,
    request,
    server_env,
)

pytestmark = pytest.mark.timeout(90)

BUGGY = "def check(x, seen={}):\n    if x == None:\n        return 0\n    return x is 1\n"


@pytest_asyncio.fixture
async def client(tmp_path):
    env = server_env(tmp_path, KEEL_TEST_KEY="test-key-not-secret")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    lsp = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start(devtools=None)
    keep_raw_json(lsp)
    accept_registrations(lsp)
    events: list[dict] = []
    arrived = asyncio.Event()

    def on_run_event(params) -> None:
        events.append(plain(params))
        arrived.set()

    lsp.feature("keel/runEvent")(on_run_event)
    lsp.run_events = events  # type: ignore[attr-defined]
    lsp.run_event_arrived = arrived  # type: ignore[attr-defined]
    yield lsp
    try:
        await asyncio.wait_for(lsp.shutdown_session(), 10)
    except Exception:
        pass  # a test may leave the server unable to answer; it is killed below
    if lsp._server is not None and lsp._server.returncode is None:
        lsp._server.kill()
    await lsp.stop()


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "buggy.py").write_text(BUGGY)
    return root


def provider(pid: str, chaos: ChaosServer) -> dict:
    # kind "openai" (a loopback OpenAI-compatible server is priced as local, so costs are 0);
    # the Anthropic shape is covered against the chaos server in tests/unit/providers.
    return {"id": pid, "kind": "openai", "baseUrl": chaos.openai_base_url,
            "apiKeyEnv": "KEEL_TEST_KEY"}


async def start(client, ws, *chaos: ChaosServer) -> None:
    providers = [provider(f"p{i}", c) for i, c in enumerate(chaos)]
    await initialize(client, ws, {"settings": {"providers": providers}, "workspaceTrusted": True})


async def run(client, **params) -> dict:
    params.setdefault("workflow", "review")
    params.setdefault("target", "buggy.py")
    return await request(client, "keel/runWorkflow", params)


async def until_event(client, run_id: str, kind: str, client_run_id: str | None = None) -> None:
    """Wait until a `keel/runEvent` of this kind for this run has arrived (the test's
    timeout bounds the wait)."""
    while not any(e["runId"] == run_id and e["kind"] == kind
                  and (client_run_id is None or e.get("clientRunId") == client_run_id)
                  for e in client.run_events):
        client.run_event_arrived.clear()
        await client.run_event_arrived.wait()


async def queued(client, run_id: str) -> None:
    """Wait until the server has started the run (its `queued` event arrived)."""
    await until_event(client, run_id, "queued")


def kinds(client, run_id: str) -> list[str]:
    return [e["kind"] for e in client.run_events if e["runId"] == run_id]


@on_shared_server
async def test_list_workflows(shared):
    result = await request(shared.lsp, "keel/listWorkflows")
    ids = [w["id"] for w in result["workflows"]]
    assert ids[:5] == ["review", "security-audit", "bug-predict", "refactor-plan", "summarize"]
    review = result["workflows"][0]
    assert review["profile"] == "critical"
    assert review["stages"][2] == {"id": "review", "title": "Model review", "kind": "llm",
                                   "tier": "capable"}


async def test_successful_run_through_the_chaos_provider(client, ws):
    async with ChaosServer(Schedule.healthy()) as chaos:
        await start(client, ws, chaos)
        result = await run(client, runId="ok-1")
        assert result["status"] == "succeeded", result["report"]["markdown"]
        assert result["runId"] == "ok-1" and result["deduplicated"] is False
        review = result["stages"][2]
        assert review["provider"] == "p0" and review["attempts"] == 1
        assert review["inputTokens"] > 0 and review["outputTokens"] > 0
        assert review["usd"] == 0  # a loopback OpenAI-compatible server is priced as local
        assert "Chaos says hello" in result["report"]["markdown"]
        assert chaos.requests_total == 1
        await until_event(client, "ok-1", "finished")
        seen = kinds(client, "ok-1")
        assert seen[0] == "queued" and seen[-1] == "finished"
        seqs = [e["seq"] for e in client.run_events if e["runId"] == "ok-1"]
        assert seqs == list(range(1, len(seqs) + 1))
        # Inside the model stage: chunk 1 of 1 before the call, then done with its tokens.
        progress = [e["progress"] for e in client.run_events
                    if e["runId"] == "ok-1" and e["kind"] == "progress"]
        assert [(p["chunk"], p["chunks"], p["done"]) for p in progress] == [(1, 1, 0), (1, 1, 1)]
        assert progress[-1]["inputTokens"] == review["inputTokens"] and progress[-1]["calls"] == 1
        assert (review["calls"], review["chunks"], review["retries"]) == (1, 1, 0)
        assert "1 call (1 chunk, 0 retries)" in result["report"]["markdown"]


async def test_first_provider_down_falls_back_to_second(client, ws):
    async with ChaosServer() as down, ChaosServer() as up:
        await down.go_down("refuse")
        await start(client, ws, down, up)
        result = await run(client, runId="fb-1")
        assert result["status"] == "succeeded"
        review = result["stages"][2]
        assert review["provider"] == "p1" and review["fallbackUsed"] is True
        await until_event(client, "fb-1", "fallback")


async def test_identical_runs_are_deduplicated(client, ws):
    async with ChaosServer() as chaos:
        await start(client, ws, chaos)
        chaos.hold()  # the first run's model call stays in flight until the second has joined it
        first = asyncio.ensure_future(run(client, runId="d-1"))
        await queued(client, "d-1")
        second = asyncio.ensure_future(run(client, runId="d-2"))
        await until_event(client, "d-1", "attached")
        chaos.release()
        one, two = await asyncio.gather(first, second)
        assert one["runId"] == two["runId"] == "d-1"
        assert (one["deduplicated"], two["deduplicated"]) == (False, True)
        assert one["status"] == two["status"] == "succeeded"
        assert chaos.requests_total == 1
        attached = [e for e in client.run_events if e["kind"] == "attached"]
        assert [e["clientRunId"] for e in attached] == ["d-2"]


async def test_cancel_request_detaches_only_that_waiter(client, ws):
    async with ChaosServer() as chaos:
        await start(client, ws, chaos)
        chaos.hold()
        params = {"workflow": "review", "target": "buggy.py"}
        first = asyncio.ensure_future(run(client, runId="c-1"))
        await queued(client, "c-1")
        second = asyncio.ensure_future(
            client.protocol.send_request_async("keel/runWorkflow", params, "waiter-2"))
        await until_event(client, "c-1", "attached")
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="waiter-2"))
        with pytest.raises(JsonRpcException) as info:
            await second
        assert info.value.code == -32800
        chaos.release()
        result = await first
        assert result["status"] == "succeeded" and result["runId"] == "c-1"


async def test_cancel_run_stops_it_for_every_waiter(client, ws):
    async with ChaosServer(Schedule.always(Fault.HANG)) as chaos:
        await start(client, ws, chaos)
        first = asyncio.ensure_future(run(client, runId="x-1"))
        await queued(client, "x-1")
        second = asyncio.ensure_future(run(client))
        await until_event(client, "x-1", "attached")
        answer = await request(client, "keel/cancelRun", {"runId": "x-1"})
        assert answer == {"cancelled": True, "status": "cancelled"}
        one, two = await asyncio.gather(first, second)
        assert one["status"] == two["status"] == "cancelled"
        assert one["error"]["code"] == "run.cancelled" and two["deduplicated"] is True
        again = await request(client, "keel/cancelRun", {"runId": "x-1"})
        assert again == {"cancelled": False, "status": "cancelled"}


async def test_hanging_provider_gives_timed_out_result(client, ws):
    async with ChaosServer(Schedule.always(Fault.HANG)) as chaos:
        await start(client, ws, chaos)
        # The static stage must finish inside the deadline however loaded the machine is:
        # an analysis first leaves a worker process warm, its imports done.
        await request(client, "keel/analyze", {"uri": (ws / "buggy.py").as_uri()})
        # How close to the deadline it answers is a figure (bench/first_click.py), not a test.
        result = await run(client, timeoutMs=5000)
        assert result["status"] == "timedOut"
        assert result["error"]["errorType"] == "timeout"
        assert result["stages"][0]["status"] == "succeeded"
        assert result["stages"][2]["status"] in ("failed", "cancelled")  # the hung call was stopped


async def test_offline_run_is_partial(client, ws):
    await initialize(client, ws, {"settings": {"providers": []}, "workspaceTrusted": True})
    result = await run(client)
    assert result["status"] == "partial"
    assert result["stages"][2]["status"] == "skipped"
    assert "no model provider" in result["stages"][2]["note"]
    assert {f["rule"] for f in result["report"]["findings"]} >= {"eq-none", "is-literal"}
