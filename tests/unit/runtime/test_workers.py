from __future__ import annotations

import asyncio
import os

import psutil
import pytest

from keel.errors import InternalError, InvalidInput
from keel.files import resident_bytes
from keel.runtime.workers import WorkerPool

from . import worker_jobs


async def _reaped(pid: int) -> bool:
    """Whether ``pid`` is gone for good (a zombie still exists); the pool reaps in a thread."""
    for _ in range(100):
        if not psutil.pid_exists(pid):
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.fixture(params=["forkserver", "spawn"])
async def pool(request):
    """A one-worker pool on each start method: Linux's, and the one Windows and macOS use."""
    p = WorkerPool(size=1, start_method=request.param)
    yield p
    p.close()


async def test_runs_a_function_in_another_process(pool):
    pid = await pool.run(os.getpid)
    assert pid != os.getpid()
    assert await pool.run(worker_jobs.add, 2, 3) == 5


async def test_keel_errors_cross_the_process_boundary(pool):
    with pytest.raises(InvalidInput) as info:
        await pool.run(worker_jobs.fail_invalid)
    assert info.value.code == "analysis.syntax_error"
    with pytest.raises(InternalError):
        await pool.run(worker_jobs.fail_unexpected)


async def test_cancel_kills_the_busy_worker_and_a_fresh_one_serves_next(pool):
    first_pid = await pool.run(os.getpid)
    task = asyncio.ensure_future(pool.run(worker_jobs.spin, 60.0))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stats = pool.stats()
    assert stats.killed == 1 and stats.busy == 0
    second_pid = await pool.run(os.getpid)
    assert second_pid != first_pid
    assert await _reaped(first_pid)


async def test_a_worker_that_cannot_start_is_reported_not_hidden(monkeypatch):
    pool = WorkerPool(size=1)

    class NoProcesses:
        def __init__(self, *args, **kwargs):
            pass

        def start(self):
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(pool._ctx, "Process", NoProcesses)
    with pytest.raises(InternalError) as info:
        await pool.run(worker_jobs.add, 1, 2)
    assert "cannot start" in info.value.message
    assert pool.start_error and "Resource temporarily unavailable" in pool.start_error
    pool.close()


async def test_an_idle_worker_that_grew_past_the_limit_is_recycled():
    pool = WorkerPool(size=1, max_idle_rss=96 * 1024 * 1024, rss_of=resident_bytes)
    try:
        small = await pool.run(os.getpid)
        assert await pool.run(os.getpid) == small  # under the limit: kept warm
        assert await pool.run(worker_jobs.hold_megabytes, 128) == 1
        assert pool.stats().recycled == 1
        fresh = await pool.run(os.getpid)
        assert fresh != small
        # The fresh worker starts small: the memory went back with the old process.
        assert resident_bytes(fresh) < 96 * 1024 * 1024
        assert await _reaped(small)
    finally:
        pool.close()


async def test_an_injected_tiny_limit_recycles_after_every_call():
    pool = WorkerPool(size=1, max_idle_rss=1, rss_of=resident_bytes)
    try:
        pids = [await pool.run(os.getpid) for _ in range(3)]
        assert len(set(pids)) == 3 and pool.stats().recycled == 3
    finally:
        pool.close()


async def test_no_limit_keeps_the_worker():
    pool = WorkerPool(size=1, max_idle_rss=None, rss_of=resident_bytes)
    try:
        assert await pool.run(worker_jobs.hold_megabytes, 8) == 1
        assert await pool.run(worker_jobs.hold_megabytes, 8) == 2  # same process, still holding
        assert pool.stats().recycled == 0
    finally:
        pool.close()


async def _settled(pool: WorkerPool) -> None:
    for _ in range(500):
        if not pool._spawning:  # the warm-up's starts have ended
            return
        await asyncio.sleep(0.01)


async def test_a_run_during_the_warm_up_waits_for_it_instead_of_starting_one_more():
    """Issue 22: health said "2 worker processes: 0 busy, 3 warm" and ps showed 3."""
    pool = WorkerPool(size=2)
    try:
        pool.warm_up()
        assert await pool.run(worker_jobs.add, 1, 2) == 3
        await _settled(pool)
        stats = pool.stats()
        assert stats.started == 2
        assert stats.idle + stats.busy == 2
    finally:
        pool.close()


async def test_a_burst_of_runs_with_cancels_never_exceeds_the_pool():
    pool = WorkerPool(size=2)
    try:
        pool.warm_up()
        tasks = [asyncio.ensure_future(pool.run(worker_jobs.spin, 0.05 * (i % 3)))
                 for i in range(8)]
        for task in tasks[::3]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _settled(pool)
        stats = pool.stats()
        assert stats.idle + stats.busy <= 2
        # Every process started is either alive in the pool or was killed/recycled.
        assert stats.started - stats.killed - stats.recycled <= 2
    finally:
        pool.close()
