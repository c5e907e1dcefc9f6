"""Issue 22 point 5: the start-up heap is frozen after the warm-up, so full collections skip it."""

from __future__ import annotations

import asyncio
import gc

import pytest

from keel.app.heap import freeze_after


@pytest.fixture(autouse=True)
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("ending", ["done", "failed", "cancelled"])
async def test_the_heap_is_frozen_once_the_warm_up_ends_however_it_ends(ending):
    release = asyncio.Event()

    async def warm_up() -> None:
        await release.wait()
        if ending == "failed":
            raise RuntimeError("a warm-up step failed")

    task = asyncio.ensure_future(warm_up())
    freeze_after(task)
    await asyncio.sleep(0)
    assert gc.get_freeze_count() == 0  # not while it is still warming up
    if ending == "cancelled":
        task.cancel()
    release.set()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)  # the done callback runs on the next loop turn
    assert gc.get_freeze_count() > 0
