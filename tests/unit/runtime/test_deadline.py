from __future__ import annotations

import asyncio
import math

import anyio
import pytest

from keel.errors import DeadlineExceeded
from keel.runtime.clock import FakeClock
from keel.runtime.deadline import (
    Deadline,
    current_deadline,
    deadline_scope,
    outlast_deadline,
    remaining,
)


def test_deadline_arithmetic_on_a_fake_clock():
    clock = FakeClock()
    deadline = Deadline.after_ms(1500, clock)
    assert deadline.remaining() == pytest.approx(1.5)
    assert deadline.fits(1.0) and not deadline.fits(1.5)
    clock.advance(2.0)
    assert deadline.remaining() == 0.0 and deadline.expired
    assert math.isinf(Deadline.after_ms(None, clock).remaining())


async def test_scope_raises_deadline_exceeded_not_cancelled():
    with pytest.raises(DeadlineExceeded) as info:
        async with deadline_scope(20, "the test op"):
            await anyio.sleep(5)
    assert info.value.error_type == "timeout" and info.value.transient
    assert "the test op" in info.value.message


async def test_inner_scope_never_extends_the_outer_deadline():
    async with deadline_scope(1000):
        outer_left = remaining()
        async with deadline_scope(60_000):
            assert remaining() <= outer_left
        async with deadline_scope(10):
            assert remaining() <= 0.011
    assert math.isinf(current_deadline().remaining())


async def test_timeout_error_from_the_body_is_not_mistaken_for_the_deadline():
    with pytest.raises(TimeoutError):
        async with deadline_scope(10_000):
            raise TimeoutError("a socket timed out")


async def test_outer_cancellation_propagates_through_the_scope():
    cancelled = False
    async with anyio.create_task_group() as tg:
        async def body():
            nonlocal cancelled
            try:
                async with deadline_scope(10_000):
                    await anyio.sleep(5)
            except anyio.get_cancelled_exc_class():
                cancelled = True
                raise
        tg.start_soon(body)
        await anyio.sleep(0.01)
        tg.cancel_scope.cancel()
    assert cancelled


async def test_outlast_deadline_waits_for_the_answer_past_the_request_deadline():
    async def answers_late() -> str:
        await asyncio.sleep(0.3)  # its own wrap-up, after the enclosing deadline
        return "timedOut result"

    async with deadline_scope(50):
        assert await outlast_deadline(answers_late(), grace_s=30) == "timedOut result"


async def test_outlast_deadline_still_yields_to_a_cancel_from_outside():
    started = asyncio.Event()

    async def never() -> None:
        started.set()
        await asyncio.sleep(3600)

    async def request() -> None:
        async with deadline_scope(10_000):
            await outlast_deadline(never(), grace_s=30)

    task = asyncio.ensure_future(request())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_outlast_deadline_gives_up_after_the_grace():
    with pytest.raises(DeadlineExceeded):
        async with deadline_scope(20):
            await outlast_deadline(asyncio.sleep(3600), grace_s=0.05, what="the run")
