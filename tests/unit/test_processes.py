"""keel.processes: liveness, the process tree, start times: answered without signalling anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from keel.processes import descendants, process_alive, resident_bytes, started_at

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_this_process_is_alive():
    assert process_alive(os.getpid())


def test_a_reaped_child_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    assert started_at(child.pid) is None and resident_bytes(child.pid) is None


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no zombies")
def test_a_killed_but_unreaped_child_is_not_alive():
    child = subprocess.Popen(SLEEPER)
    try:
        assert process_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
        assert not process_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_checking_a_process_sends_it_nothing(monkeypatch, signals_sent):
    child = subprocess.Popen(SLEEPER)
    try:
        assert process_alive(child.pid)
        assert process_alive(os.getpid())
        assert descendants(os.getpid()) and started_at(child.pid) is not None
        assert signals_sent == []  # on Windows, os.kill(pid, 0) would have terminated it
        assert child.poll() is None
    finally:
        monkeypatch.undo()  # the real os.kill, to end the child
        child.kill()
        child.wait()


@pytest.mark.parametrize("pid", [0, -1, -os.getpid()])
def test_group_and_invalid_pids_are_not_a_live_process(pid, signals_sent):
    # os.kill(0, 0) "succeeds" (it signals our own process group): 0 is no client pid.
    assert not process_alive(pid)
    assert descendants(pid) == [] and started_at(pid) is None and resident_bytes(pid) is None
    assert signals_sent == []


def test_descendants_lists_children_and_grandchildren_parents_first():
    spawner = textwrap.dedent(f"""
        import subprocess, sys, time
        grandchild = subprocess.Popen({SLEEPER!r})
        print(grandchild.pid, flush=True)
        time.sleep(600)
    """)
    child = subprocess.Popen([sys.executable, "-c", spawner], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        tree = descendants(os.getpid())
        assert child.pid in tree and grandchild in tree
        assert tree.index(child.pid) < tree.index(grandchild)
        assert descendants(child.pid) == [grandchild]
    finally:
        for pid in descendants(child.pid):
            os.kill(pid, signal.SIGTERM)
        child.kill()
        child.wait()


def test_a_start_time_is_stable_and_the_resident_set_is_read():
    first = started_at(os.getpid())
    assert first is not None and first == started_at(os.getpid())
    rss = resident_bytes(os.getpid())
    assert rss is not None and rss > 1024 * 1024  # an interpreter with pytest loaded


def test_the_resident_set_is_psutils_figure_without_importing_psutil():
    # Read on the first analysis's path at start, where the psutil import cost ~11 ms.
    measured = subprocess.run([sys.executable, "-I", "-c", (
        "import os, sys\n"
        "from keel.processes import resident_bytes\n"
        "ours = resident_bytes(os.getpid())\n"
        "loaded = 'psutil' in sys.modules\n"
        "import psutil\n"
        "print(ours, psutil.Process().memory_info().rss, loaded)\n")],
        capture_output=True, text=True, timeout=60, check=True)
    ours, theirs, loaded = measured.stdout.split()
    assert abs(int(ours) - int(theirs)) < 8 * 1024 * 1024  # psutil's import grew it meanwhile
    assert loaded == ("True" if not sys.platform.startswith("linux") else "False")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no zombies")
def test_a_zombie_has_no_resident_set():
    child = subprocess.Popen(SLEEPER)
    try:
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        assert resident_bytes(child.pid) is None
    finally:
        child.wait()


def test_access_denied_means_it_exists(monkeypatch):
    class Guarded:
        def __init__(self, pid: int) -> None:
            raise psutil.AccessDenied(pid)

    monkeypatch.setattr(psutil, "Process", Guarded)
    assert process_alive(1)
    assert descendants(1) == [] and started_at(1) is None


def test_importing_keel_files_does_not_load_psutil():
    # keel.files is on the way to the first answer; psutil waits until a process is checked.
    code = "import sys, keel.files, keel.lsp.watchdog, keel.storage.owner; print('psutil' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
