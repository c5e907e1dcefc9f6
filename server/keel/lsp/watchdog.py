"""Parent watchdog (exit when initialize.processId or --clientProcessId dies) and the process tree.

Liveness and the process tree come from ``keel.processes`` (psutil): the
POSIX ``os.kill(pid, 0)`` probe would terminate the editor on Windows.
``descendants`` and ``running`` are re-exported for ``keel serve``'s last-resort
kill of the tree and for the tests that watch it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from keel.processes import descendants as descendants
from keel.processes import process_alive

POLL_S = 0.5

running = process_alive  # the name `keel serve` and the lifecycle tests use


async def watch_parent(pid: int, on_death: Callable[[], None], poll_s: float = POLL_S) -> None:
    # Polling: no platform tells a non-parent when a process ends, without a handle or a pidfd.
    while process_alive(pid):  # noqa: ASYNC110 (no event exists for another process's death)
        await asyncio.sleep(poll_s)
    on_death()
