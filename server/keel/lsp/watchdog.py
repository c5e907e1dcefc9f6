"""Parent watchdog (exit when initialize.processId or --clientProcessId dies) and the process tree.

``descendants`` reads /proc (Linux) rather than using psutil, which Keel does
not depend on; elsewhere it falls back to multiprocessing's direct children.
"""

from __future__ import annotations

import asyncio
import multiprocessing
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


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before their children (Linux /proc; elsewhere our direct children)."""
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return [p.pid for p in multiprocessing.active_children() if p.pid]
    children: dict[int, list[int]] = {}
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not readable
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie runs nothing and holds no memory)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
