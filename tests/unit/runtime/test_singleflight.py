from __future__ import annotations

import asyncio

import pytest

from keel.runtime.singleflight import SingleFlight


async def test_identical_work_is_shared_and_started_once():
    flights: SingleFlight[int] = SingleFlight()
    starts = 0
    gate = asyncio.Event()

    async def work() -> int:
        nonlocal starts
        starts += 1
        await gate.wait()
        return 42

    f1, joined1 = flights.join("k", work)
    f2, joined2 = flights.join("k", work)
    assert (joined1, joined2) == (False, True) and f1 is f2
    waiters = [asyncio.ensure_future(flights.wait(f1)), asyncio.ensure_future(flights.wait(f2))]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [42, 42]
    assert starts == 1 and len(flights) == 0


async def test_cancelling_one_waiter_detaches_only_that_waiter():
    flights: SingleFlight[str] = SingleFlight()
    gate = asyncio.Event()

    async def work() -> str:
        await gate.wait()
        return "done"

    flight, _ = flights.join("k", work)
    first = asyncio.ensure_future(flights.wait(flight))
    second = asyncio.ensure_future(flights.wait(flight))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert not flight.task.done() and flight.waiters == 1
    gate.set()
    assert await second == "done"


async def test_last_waiter_detaching_stops_the_work():
    flights: SingleFlight[str] = SingleFlight()
    stopped = []

    async def work() -> str:
        await asyncio.sleep(10)
        return "never"

    flight, _ = flights.join("k", work, stop=lambda: stopped.append(True))
    waiter = asyncio.ensure_future(flights.wait(flight))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert stopped == [True]
    flight.task.cancel()


async def test_cancel_stops_the_work_for_everyone_without_a_hook():
    flights: SingleFlight[str] = SingleFlight()

    async def work() -> str:
        await asyncio.sleep(10)
        return "never"

    flight, _ = flights.join("k", work)
    waiters = [asyncio.ensure_future(flights.wait(flight)) for _ in range(2)]
    await asyncio.sleep(0)
    assert flights.cancel("k") is True
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    assert flights.cancel("k") is False


async def test_a_finished_flight_is_not_joined_again():
    flights: SingleFlight[int] = SingleFlight()
    calls = []

    async def work() -> int:
        calls.append(1)
        return len(calls)

    flight, _ = flights.join("k", work)
    assert await flights.wait(flight) == 1
    flight2, joined = flights.join("k", work)
    assert joined is False and await flights.wait(flight2) == 2


async def test_a_stopped_flight_is_not_joined_while_it_winds_down():
    flights: SingleFlight[str] = SingleFlight()
    wound_down = asyncio.Event()

    async def work() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await wound_down.wait()  # a slow wrap-up
            raise
        return "never"

    old, _ = flights.join("k", work)
    waiter = asyncio.ensure_future(flights.wait(old))
    await asyncio.sleep(0)
    assert flights.cancel("k") is True
    fresh, joined = flights.join("k", work)
    assert joined is False and fresh is not old
    assert flights.stop(old) is True and flights.get("k") is fresh  # stopping old keeps fresh
    wound_down.set()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    fresh.task.cancel()
    await asyncio.gather(fresh.task, return_exceptions=True)
