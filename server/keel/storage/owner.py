"""Which process owns a run row, and whether that process is still alive.

A pid alone is not an identity (pids are reused), so a run row records its
process as ``(pid, start token)``. The token is the host name, the kernel's
boot id and the process start time in clock ticks since boot (Linux
``/proc``): a different process with the same pid, or the same pid after a
reboot, has a different token. Where ``/proc`` is missing (macOS) the token
is the host name only, and liveness falls back to "that pid exists".

A process on another host cannot be checked, so it counts as alive: its
runs are never marked ``interrupted`` by us. (psutil would give the same
start time portably; it is not a dependency of Keel for these few lines.)
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class ProcessOwner:
    pid: int
    token: str  # "<host>|<boot id>|<start ticks>", or "<host>" where /proc is missing


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start ticks) from ``/proc/<pid>/stat``; None where there is no such file."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields 3 (state) and 22 (starttime); the command name (field 2) may hold spaces and ")".
    fields = text[text.rindex(")") + 2:].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


@cache
def _host_and_boot() -> str:
    host = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return host
    return f"{host}|{boot}"


def owner_of(pid: int) -> ProcessOwner | None:
    """The owner identity of a running process ``pid`` on this host; None when it is gone."""
    if not _pid_exists(pid):
        return None
    stat = _proc_stat(pid)
    if stat is not None and stat[0] in ("Z", "X"):
        return None  # a killed server its parent has not reaped yet: gone
    base = _host_and_boot()
    return ProcessOwner(pid, base if stat is None or "|" not in base else f"{base}|{stat[1]}")


@cache
def this_process() -> ProcessOwner:
    owner = owner_of(os.getpid())
    assert owner is not None
    return owner


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def is_gone(pid: int | None, token: str | None) -> bool:
    """Whether the process that wrote a row is certainly gone (rows without an owner: yes)."""
    if pid is None or token is None:
        return True  # written before owners were recorded (schema < v4): its process is old
    host = token.split("|", 1)[0]
    if host != socket.gethostname():
        return False  # another machine's process: we cannot tell, so we leave its runs alone
    current = owner_of(pid)
    return current is None or current.token != token
