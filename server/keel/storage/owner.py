"""Which process owns a run row, and whether that process is still alive.

A pid alone is not an identity (pids are reused), so a run row records its
process as ``(pid, start token)``: the host name and when the process
started, so a different process with the same pid, or the same pid after a
reboot, has a different token.

On Linux the start is the kernel's boot id and the process start time in
clock ticks since boot (``/proc``): exact integers that no clock adjustment
moves, and the format rows have carried since schema v4. Elsewhere (macOS,
Windows) it is the process creation time psutil reports, in microseconds
since the epoch. Liveness itself is ``keel.processes.process_alive``, which
never signals the process (``os.kill(pid, 0)`` terminates it on Windows).

A process on another host cannot be checked, so it counts as alive: its
runs are never marked ``interrupted`` by us.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from keel.processes import process_alive, started_at


@dataclass(frozen=True)
class ProcessOwner:
    pid: int
    # "<host>|<boot id>|<start ticks>" (Linux), "<host>|<start microseconds>" (elsewhere), or
    # "<host>" when the start cannot be read.
    token: str


def _linux_start(pid: int) -> str | None:
    """"<boot id>|<start ticks>" from ``/proc``; None where there is no ``/proc``."""
    boot = _boot_id()
    if boot is None:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may hold spaces and ")".
    fields = text[text.rindex(")") + 2:].split()
    return f"{boot}|{fields[19]}" if len(fields) > 19 else None


@cache
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _start_token(pid: int) -> str | None:
    linux = _linux_start(pid)
    if linux is not None:
        return linux
    started = started_at(pid)
    return None if started is None else str(round(started * 1_000_000))


def owner_of(pid: int) -> ProcessOwner | None:
    """The owner identity of a running process ``pid`` on this host; None when it is gone."""
    if not process_alive(pid):
        return None  # a killed server its parent has not reaped yet is gone too
    host = socket.gethostname()
    start = _start_token(pid)
    return ProcessOwner(pid, host if start is None else f"{host}|{start}")


@cache
def this_process() -> ProcessOwner:
    owner = owner_of(os.getpid())
    assert owner is not None
    return owner


def is_gone(pid: int | None, token: str | None) -> bool:
    """Whether the process that wrote a row is certainly gone (rows without an owner: yes)."""
    if pid is None or token is None:
        return True  # written before owners were recorded (schema < v4): its process is old
    host = token.split("|", 1)[0]
    if host != socket.gethostname():
        return False  # another machine's process: we cannot tell, so we leave its runs alone
    current = owner_of(pid)
    return current is None or current.token != token
