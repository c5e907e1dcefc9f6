"""End to end: kill -9 mid-run leaves an `interrupted` run; a canary key never leaves the process."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from keel.chaos import ChaosServer
from keel.chaos.schedule import Fault, Schedule
from keel.rpc_client import KeelClient, RpcError

from .helpers import poll_until, server_env, until_serving

pytestmark = pytest.mark.timeout(120)

CANARY = "sk-canary-e2e-0123456789abcdefghij"


async def _wait_for_event(client: KeelClient, kind: str, timeout: float = 30) -> dict:
    async def next_matching() -> dict:
        while True:
            message = await client.notifications.get()
            if message.get("method") == "keel/runEvent" and message["params"]["kind"] == kind:
                return message["params"]
    return await asyncio.wait_for(next_matching(), timeout)


async def test_kill_9_mid_run_shows_interrupted_after_restart(tmp_path, workspace):
    env = server_env(tmp_path, KEEL_TEST_KEY="not-a-secret-key")
    async with ChaosServer(Schedule.always(Fault.HANG)) as chaos:
        settings = {"providers": [{"id": "hung", "kind": "openai", "baseUrl": chaos.openai_base_url,
                                   "apiKeyEnv": "KEEL_TEST_KEY"}]}
        first = await KeelClient.spawn(env=env)
        await first.initialize(str(workspace), {"settings": settings, "workspaceTrusted": True})
        await until_serving(lambda: first.request("keel/health"))
        _, pending = first.send_request("keel/runWorkflow", {"workflow": "summarize", "target": "a.py",
                                                             "runId": "crash-1"})
        await _wait_for_event(first, "stageStarted")
        # The kill must land after the writer thread persisted the `running` row: history shows it.
        await poll_until(lambda: first.request("keel/runs", {"limit": 10}),
                         lambda found: [(r["runId"], r["status"]) for r in found["runs"]]
                         == [("crash-1", "running")],
                         "the first server's history shows crash-1 running")
        os.kill(first.process.pid, signal.SIGKILL)
        await first.process.wait()
        pending.cancel()
    second = await KeelClient.spawn(env=env)
    try:
        await second.initialize(str(workspace))
        await until_serving(lambda: second.request("keel/health"))
        # Marking happens when the second server's writer opens the database.
        found = await poll_until(lambda: second.request("keel/runs", {"limit": 10}),
                                 lambda found: found["runs"] and found["runs"][0]["status"] != "running",
                                 "the restarted server has marked the orphaned run")
        assert [(r["runId"], r["status"]) for r in found["runs"]] == [("crash-1", "interrupted")]
    finally:
        await second.shutdown()


async def test_canary_key_never_appears_in_responses_notifications_or_logs(tmp_path, workspace):
    env = server_env(tmp_path, KEEL_CANARY_KEY=CANARY)
    async with ChaosServer(Schedule.always(Fault.AUTH)) as chaos:
        settings = {"providers": [{"id": "rejects", "kind": "openai", "baseUrl": chaos.openai_base_url,
                                   "apiKeyEnv": "KEEL_CANARY_KEY"}], "logLevel": "debug"}
        client = await KeelClient.spawn(env=env)
        seen: list[str] = []
        try:
            await client.initialize(str(workspace), {"settings": settings, "workspaceTrusted": True})
            seen.append(repr(await until_serving(lambda: client.request("keel/health"))))
            seen.append(repr(await client.request("keel/preflight", {"network": True})))
            run = await client.request("keel/runWorkflow", {"workflow": "summarize", "target": "a.py"},
                                       timeout=60)
            seen.append(repr(run))
            assert run["status"] in ("partial", "failed")
            try:
                await client.request("keel/generateFix", {"uri": (workspace / "a.py").as_uri(),
                                                          "findingId": "nope"})
            except RpcError as exc:
                seen.append(repr((exc.message, exc.data)))
            while not client.notifications.empty():
                seen.append(repr(client.notifications.get_nowait()))
        finally:
            await client.shutdown()
    assert chaos.requests_total >= 1  # the key really was sent to the provider
    assert all(CANARY not in text for text in seen)
    log_dir = tmp_path / "state"
    logs = "".join(p.read_text(errors="replace") for p in log_dir.rglob("*.log*"))
    assert logs, "the server wrote no log file"
    assert CANARY not in logs
