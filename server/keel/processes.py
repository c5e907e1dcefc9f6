"""Whether a process is alive, what runs below it, and when it started: portably, through psutil.

The POSIX idiom for "does this pid exist" is ``os.kill(pid, 0)``. On Windows
``os.kill`` with any signal but CTRL_C_EVENT/CTRL_BREAK_EVENT calls
TerminateProcess: the check kills the process it checks (the editor, for the
parent watchdog). psutil answers these questions on Linux, macOS and Windows
without signalling anything, so every liveness check in Keel comes here.

A zombie (a process that exited and that its parent has not reaped) counts as
gone: it runs nothing and holds no memory.

psutil is imported on first use, not with this module: ``keel.files`` re-exports
``resident_bytes`` and is imported on the way to the first answer, which the
~20 ms psutil import would delay. For the same reason ``resident_bytes`` reads
``/proc/PID/statm`` itself on Linux: the worker pool asks it when each call
ends, the first analysis at start included, and there the figure is one read.
"""

from __future__ import annotations

import os
import sys


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie. Never sends the process anything."""
    if pid <= 0:
        return False  # 0 and negatives name process groups (POSIX) or the idle process (Windows)
    import psutil

    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:  # ZombieProcess included
        return False
    except psutil.AccessDenied:
        return True  # it exists, under another user


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before their children; [] when ``pid`` is gone."""
    if pid <= 0:
        return []
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:  # gone meanwhile, or not ours to look at
        return []


def started_at(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch, as the OS recorded it); None when gone."""
    if pid <= 0:
        return None
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def resident_bytes(pid: int) -> int | None:
    """The resident set size of ``pid`` in bytes; None when it is gone or not readable."""
    if pid <= 0:
        return None
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:  # size, resident, shared... in pages
                pages = int(statm.read().split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return pages * os.sysconf("SC_PAGE_SIZE") if pages else None  # 0: a zombie, gone
    import psutil

    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.Error:
        return None
