"""Parent watchdog: exit when the process that started us (initialize.processId) dies."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

POLL_S = 0.5


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


async def watch_parent(pid: int, on_death: Callable[[], None], poll_s: float = POLL_S) -> None:
    while process_alive(pid):
        await asyncio.sleep(poll_s)
    on_death()
