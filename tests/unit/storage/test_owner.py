"""Run-row owners: (pid, start token), checked without signalling the process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from keel.storage import owner as owner_module
from keel.storage.owner import is_gone, owner_of

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


@pytest.fixture
def child(monkeypatch):
    process = subprocess.Popen(SLEEPER)
    yield process
    monkeypatch.undo()  # a test may have replaced os.kill
    process.kill()
    process.wait()


@pytest.fixture(params=["proc", "psutil"])
def start_source(request, monkeypatch) -> str:
    """Both ways a start token is made: Linux /proc, and psutil's creation time elsewhere."""
    if request.param == "proc" and not Path("/proc/self/stat").exists():
        pytest.skip("no /proc here")
    if request.param == "psutil":
        monkeypatch.setattr(owner_module, "_boot_id", lambda: None)  # as on macOS and Windows
    return request.param


def test_a_live_process_is_not_gone_and_nothing_is_sent_to_it(child, start_source, signals_sent):
    owner = owner_of(child.pid)
    assert owner is not None and owner.token.startswith(socket.gethostname() + "|")
    assert not is_gone(owner.pid, owner.token)
    assert owner_of(child.pid) == owner  # the same process, the same token
    assert signals_sent == []  # os.kill(pid, 0) terminates the process on Windows


def test_a_reaped_process_is_gone(start_source):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = owner_of(process.pid)
    process.wait()
    assert owner is not None and is_gone(owner.pid, owner.token)
    assert owner_of(process.pid) is None


def test_another_process_on_the_same_pid_is_not_the_owner(child, start_source):
    owner = owner_of(child.pid)
    assert owner is not None
    stale = f"{owner.token.rsplit('|', 1)[0]}|1"  # same host (and boot), an earlier start
    assert is_gone(child.pid, stale)


def test_the_psutil_token_is_the_start_in_microseconds(child, monkeypatch):
    monkeypatch.setattr(owner_module, "_boot_id", lambda: None)
    owner = owner_of(child.pid)
    assert owner is not None
    host, start = owner.token.split("|")
    assert host == socket.gethostname() and start.isdigit()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the /proc token is Linux's")
def test_the_linux_token_keeps_the_format_existing_rows_carry(child):
    # "<host>|<boot id>|<start ticks>" (schema v4): a newer Keel must recognise a live older one.
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    stat = Path(f"/proc/{child.pid}/stat").read_text()
    ticks = stat[stat.rindex(")") + 2:].split()[19]
    owner = owner_of(child.pid)
    assert owner is not None and owner.token == f"{socket.gethostname()}|{boot}|{ticks}"


def test_rows_of_another_host_or_without_owner(child):
    assert not is_gone(child.pid, "some-other-host|x|1")
    assert is_gone(None, None) and is_gone(os.getpid(), None)
