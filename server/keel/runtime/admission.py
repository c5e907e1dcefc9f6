"""The admission slot an operation takes for itself, handed down by the dispatch path.

Most methods are admitted by the dispatch path before their operation runs
(``keel.lsp.admission``). A method whose spec says ``admitted_by_operation``
(``keel/runWorkflow``) is not: its operation first looks for identical work in
flight, which it joins without a slot, and only the request that starts new
work waits for one, through ``admit()``. So admission limits work, never
duplicates. The slot is released by calling what ``admit()`` returned, from
whichever task ends the work (the run, not the request that started it).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable

Release = Callable[[], None]
Admit = Callable[[], Awaitable[Release]]

ADMIT: contextvars.ContextVar[Admit | None] = contextvars.ContextVar("keel_admit", default=None)


async def _unlimited() -> Release:
    return lambda: None


def current_admit() -> Admit:
    """The slot taker the dispatch path set for this request; unlimited outside it (CLI, tests)."""
    return ADMIT.get() or _unlimited


def once(release: Release) -> Release:
    """``release`` made safe to call more than once (a run and its error path may both call it)."""
    done = False

    def release_once() -> None:
        nonlocal done
        if not done:
            done = True
            release()

    return release_once
