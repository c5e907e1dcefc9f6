"""The one way onto a thread: a hop that the caller can always walk away from.

A thread cannot be interrupted. Awaited without ``abandon_on_cancel``, a call
that blocks (a FIFO, a hung network filesystem) pins its request past every
deadline and keeps one of the pool's 40 thread tokens for good, until requests
like it exhaust the pool and every method stalls. So every hop abandons on
cancel: the caller gets its cancellation (or deadline) at once and the token is
returned; the thread finishes on its own. ``on_abandoned`` receives the result
of a call that finished after its caller left (a spawned process to kill, a
handle to close), so nothing it made is leaked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any,
                    on_abandoned: Callable[[T], None] | None = None) -> T:
    # The result comes back in a box that is emptied here, not as the call's return
    # value: an idle anyio thread keeps its last job (and its future, and so the
    # value) until its next job, which kept one 50k-line analysis's findings
    # (~30 MB) alive per idle thread.
    lock = threading.Lock()
    state: dict[str, Any] = {}

    def call() -> None:
        result = fn(*args)
        with lock:
            state["result"] = result
            abandoned = state.get("abandoned", False)
        if abandoned and on_abandoned is not None:
            on_abandoned(result)

    try:
        await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    except BaseException:
        with lock:
            state["abandoned"] = True
            finished = "result" in state
            late = state.pop("result", None)
        if finished and on_abandoned is not None:  # it finished, but its caller is leaving anyway
            on_abandoned(late)
        raise
    answer: T = state.pop("result")
    return answer
