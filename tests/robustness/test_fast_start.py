"""The whole fast start, in process, with loading held back by the test: keel/health is
answered while loading and the real report follows once loaded.

``serve_stdio_fast`` runs in its own thread (its own event loop) on a fake stdio;
the app's construction waits for the test, so "still loading" is a fact, not a race.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from pathlib import Path
from typing import Any

import pytest

from keel.lsp import early, session
from keel.protocol.health import HealthReport

from .harness import CapturingTransport, framed, request

pytestmark = pytest.mark.timeout(90)
WAIT_S = 60  # a safety net against a hang, never a timing claim


class FakeStdio(CapturingTransport):
    """stdin the test feeds from its thread; stdout parsed into a thread-safe queue."""

    def __init__(self) -> None:
        super().__init__()
        self.out: queue.Queue[dict[str, Any]] = queue.Queue()
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.reader: asyncio.StreamReader | None = None

    async def streams(self) -> tuple[asyncio.StreamReader, Any]:
        self.loop = asyncio.get_running_loop()
        self.reader = asyncio.StreamReader()
        self.ready.set()
        return self.reader, self

    def send(self, message: dict[str, Any]) -> None:
        assert self.loop is not None and self.reader is not None
        self.loop.call_soon_threadsafe(self.reader.feed_data, framed(message))

    def write(self, data: bytes) -> None:  # the transport the server writes to
        parsed = len(self.messages)
        super().write(data)
        for message in self.messages[parsed:]:
            self.out.put(message)

    def next(self) -> dict[str, Any]:
        return self.out.get(timeout=WAIT_S)


@pytest.fixture
def held_loading(monkeypatch):
    """The app is built only once the test sets the returned event."""
    from keel.app import bootstrap

    release = threading.Event()
    build = bootstrap.create_app

    def create_app_when_released(**kwargs):
        assert release.wait(WAIT_S)
        return build(**kwargs)

    monkeypatch.setattr(bootstrap, "create_app", create_app_when_released)
    return release


def serve_fast(monkeypatch, workers_started: bool = False) -> tuple[FakeStdio, threading.Thread, list[int]]:
    """``serve_stdio_fast`` on a fake stdio, in its own thread; the exit code lands in the list."""
    stdio = FakeStdio()
    monkeypatch.setattr(session, "stdio_streams", stdio.streams)
    codes: list[int] = []
    serving = threading.Thread(target=lambda: codes.append(early.serve_stdio_fast(
        None, workers_started=workers_started)), daemon=True)
    serving.start()
    assert stdio.ready.wait(WAIT_S)
    return stdio, serving, codes


def test_health_is_answered_while_loading_and_the_real_report_follows_once_loaded(
        monkeypatch, held_loading, tmp_path: Path):
    stdio, serving, codes = serve_fast(monkeypatch)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    # A long health deadline: request 5 must wait for the loaded server however slow this
    # machine is (held past 80% of its deadline, the fast start would answer it "starting").
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {},
                                         "initializationOptions": {"settings": {"timeouts": {"healthMs": 600_000}}}}))
    stdio.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stdio.send(request(2, "keel/health", {"whileStarting": True}))  # as the editor's health watch asks
    stdio.send(request(5, "keel/health"))  # without the flag: waits for the loaded server's report

    first, second = stdio.next(), stdio.next()  # the app is not built yet: both come from the fast start
    assert first["id"] == 1 and first["result"] == early.initialize_result()
    assert second["id"] == 2
    starting = HealthReport.model_validate(second["result"])
    assert starting.level == "degraded" and "starting" in starting.summary and starting.seq == 0

    held_loading.set()
    seen = [stdio.next()]
    while seen[-1].get("method") == "window/logMessage":
        seen.append(stdio.next())
    assert seen[-1]["method"] == "keel/healthChanged"  # the loaded server's report for request 2
    real = HealthReport.model_validate(seen[-1]["params"])
    assert "starting" not in real.summary
    assert {c.name for c in real.components} >= {"config", "storage", "analysis"}
    assert not any(c.detail.startswith("not checked yet") for c in real.components)

    stdio.send(request(3, "keel/health", {"whileStarting": True}))  # after loading: as usual
    answered: dict = {}
    while not {3, 5} <= set(answered):
        seen.append(stdio.next())
        answered = {m["id"]: m for m in seen if "id" in m and "method" not in m}
    assert "starting" not in answered[3]["result"]["summary"]
    assert "starting" not in answered[5]["result"]["summary"]
    stdio.send(request(4, "shutdown"))
    stdio.send({"jsonrpc": "2.0", "method": "exit"})
    serving.join(WAIT_S)
    assert codes == [0]
    while not stdio.out.empty():
        seen.append(stdio.out.get_nowait())
    replies = [m["id"] for m in seen if "id" in m and "method" not in m]
    assert sorted(replies) == [3, 4, 5]  # no second answer to 1 or 2


@pytest.mark.parametrize("spare_core", [True, False])
def test_workers_fork_as_soon_as_the_app_exists_without_waiting_for_initialized(
        monkeypatch, held_loading, tmp_path: Path, spare_core: bool):
    # Issue 22: `keel serve` started the fork server first thing (tests/unit/cli/test_serve_args.py);
    # workers fork as soon as the app exists, so the first analysis does not wait for a pool
    # started after load. On a busy machine (no fork server started early) the pool starts at
    # `initialized`.
    from keel.runtime.workers import WorkerPool

    forked = threading.Event()
    monkeypatch.setattr(WorkerPool, "warm_up", lambda pool: forked.set())
    stdio, serving, codes = serve_fast(monkeypatch, workers_started=spare_core)
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}))
    assert stdio.next()["id"] == 1
    assert not forked.is_set()  # the app (and pygls) are still held back
    held_loading.set()
    stdio.send(request(2, "keel/health"))  # `initialized` is never sent
    reply = stdio.next()
    while reply.get("id") != 2:
        reply = stdio.next()
    assert "starting" not in reply["result"]["summary"]  # the loaded server's answer
    assert forked.is_set() is spare_core
    stdio.send(request(3, "shutdown"))
    stdio.send({"jsonrpc": "2.0", "method": "exit"})
    serving.join(WAIT_S)
    assert codes == [0]


def test_no_garbage_collection_while_loading_and_collection_again_once_loaded(
        monkeypatch, held_loading, tmp_path: Path):
    # Issue 22: the start allocates long-lived objects, not garbage; collecting meanwhile cost
    # ~8 % of the way to the first analysis. The loaded server collects as usual.
    import gc

    assert gc.isenabled()
    stdio, serving, codes = serve_fast(monkeypatch)
    stdio.send(request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}))
    assert stdio.next()["id"] == 1
    assert not gc.isenabled()  # still loading (held back)
    held_loading.set()
    stdio.send(request(2, "shutdown"))  # only the loaded server answers it (the early one holds it)
    reply = stdio.next()
    while reply.get("id") != 2:
        reply = stdio.next()
    assert gc.isenabled()
    stdio.send({"jsonrpc": "2.0", "method": "exit"})
    serving.join(WAIT_S)
    assert codes == [0] and gc.isenabled()
