"""Deadlines count from receipt (time spent waiting counts); no method starves the others, and
keel/health is never queued; error messages do not echo a huge input."""

from __future__ import annotations

import asyncio
import math
import time

import anyio
import anyio.lowlevel
import pytest
from pydantic import BaseModel

from keel.app.ops import OPS
from keel.app.state import KeelApp
from keel.lsp import dispatch as dispatch_module
from keel.lsp.admission import LIMIT
from keel.lsp.dispatch import RECEIVED_AT, DispatchError, dispatch, remaining_ms
from keel.runtime.deadline import current_deadline

pytestmark = pytest.mark.timeout(60)


class Answer(BaseModel):
    status: str
    left_s: float = 0.0


@pytest.fixture
def app():
    a = KeelApp(worker_pool_size=1)
    yield a
    a.close()


def test_remaining_counts_from_receipt_on_an_injected_clock():
    assert remaining_ms(5000, received_at=100.0, now=lambda: 102.5) == 2500
    assert remaining_ms(5000, received_at=100.0, now=lambda: 107.0) == 0
    assert remaining_ms(5000, received_at=None, now=lambda: 107.0) == 5000
    assert remaining_ms(None, received_at=100.0, now=lambda: 107.0) is None


async def test_time_waited_before_dispatch_counts_against_the_deadline(app, monkeypatch):
    async def report_deadline(app, params):
        return Answer(status="ok", left_s=current_deadline().remaining())

    monkeypatch.setitem(OPS, "keel/health", report_deadline)  # health: 5 s
    granted: list[int | None] = []

    def two_seconds_after_receipt(deadline_ms, received_at):
        # An injected clock: the request was read off the wire 2 s before dispatch (start-up).
        granted.append(remaining_ms(deadline_ms, received_at, now=lambda: received_at + 2.0))
        return granted[-1]

    monkeypatch.setattr(dispatch_module, "remaining_ms", two_seconds_after_receipt)
    RECEIVED_AT.set(time.monotonic())
    result = await dispatch(app, "keel/health", {}, 1)
    assert granted == [3000]  # 5 s from receipt, not from dispatch
    assert math.isfinite(result["left_s"])  # and the operation ran under that deadline


async def test_a_request_that_waited_past_its_deadline_times_out_without_running(app, monkeypatch):
    ran = []

    async def op(app, params):
        ran.append(True)
        await anyio.lowlevel.checkpoint()
        return Answer(status="ok")

    monkeypatch.setitem(OPS, "keel/health", op)
    RECEIVED_AT.set(time.monotonic() - 60.0)
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/health", {}, 2)
    assert info.value.error.code == "deadline.exceeded"


async def test_a_run_answering_its_timeout_as_data_is_not_turned_into_an_error(app, monkeypatch):
    async def run_that_times_out(app, params):
        # Like the run manager: wait out the deadline, then assemble the timedOut result.
        await anyio.sleep(current_deadline().remaining())
        await anyio.sleep(0.05)
        return Answer(status="timedOut")

    monkeypatch.setitem(OPS, "keel/runWorkflow", run_that_times_out)
    result = await dispatch(app, "keel/runWorkflow", {"workflow": "review", "target": "a.py",
                                                      "timeoutMs": 100}, 3)
    assert result["status"] == "timedOut"


async def test_no_method_runs_more_than_its_limit_and_health_is_never_queued(app, monkeypatch):
    running, peak, release, full = 0, 0, asyncio.Event(), asyncio.Event()

    async def blocking(app, params):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == LIMIT:
            full.set()
        try:
            await release.wait()
        finally:
            running -= 1
        return Answer(status="done")

    monkeypatch.setitem(OPS, "keel/listWorkflows", blocking)
    calls = [asyncio.ensure_future(dispatch(app, "keel/listWorkflows", {}, i)) for i in range(LIMIT + 3)]
    await full.wait()
    await asyncio.sleep(0.05)  # let the extra requests reach their admission wait
    report = await dispatch(app, "keel/health", {}, "health")  # answered while the others wait
    assert report["inFlight"]["byMethod"]["keel/listWorkflows"] == LIMIT + 3
    assert peak == LIMIT
    release.set()
    assert [r["status"] for r in await asyncio.gather(*calls)] == ["done"] * (LIMIT + 3)
    assert peak == LIMIT


async def test_error_messages_do_not_echo_a_huge_input(app):
    uri = "file:///" + "a" * 50_000_000
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/analyze", {"uri": uri}, 4)
    error = info.value.error
    assert len(error.message) < 5_000
    assert all(len(str(v)) < 5_000 for v in error.to_error_data(4).values())
