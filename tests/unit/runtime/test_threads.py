"""Thread hops abandon on cancel: blocked calls cannot exhaust the thread pool."""

from __future__ import annotations

import threading

import anyio
import pytest

from keel.runtime.threads import in_thread

pytestmark = pytest.mark.timeout(20)


async def test_blocked_hops_that_are_cancelled_give_their_tokens_back():
    release = threading.Event()
    try:
        # More blocked calls than the default limiter's 40 tokens, each cancelled by a deadline.
        async with anyio.create_task_group() as tg:
            for _ in range(45):
                async def one() -> None:
                    with anyio.move_on_after(0.05):
                        await in_thread(release.wait)
                tg.start_soon(one)
        assert anyio.to_thread.current_default_thread_limiter().borrowed_tokens == 0
        assert await in_thread(lambda: "still served") == "still served"
    finally:
        release.set()


async def test_a_result_that_arrives_after_its_caller_left_is_handed_to_on_abandoned():
    finish, cleaned = threading.Event(), threading.Event()
    seen = []

    def make() -> str:
        finish.wait()
        return "process handle"

    with anyio.move_on_after(0.05):
        await in_thread(make, on_abandoned=lambda r: (seen.append(r), cleaned.set()))
    finish.set()
    await in_thread(cleaned.wait)
    assert seen == ["process handle"]


async def test_a_result_is_not_kept_alive_by_the_idle_thread_after_it_was_returned():
    """Issue 22: an idle anyio thread kept its last job's future, and so a 30 MB answer."""
    import gc
    import weakref

    class Big:
        pass

    result = await in_thread(Big)
    ref = weakref.ref(result)
    del result
    gc.collect()
    assert ref() is None


def test_freed_memory_goes_back_to_the_system_on_linux():
    import sys

    from keel.runtime.workers import release_freed_memory

    assert release_freed_memory() is sys.platform.startswith("linux")
