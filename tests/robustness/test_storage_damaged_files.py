"""History files damaged from outside cannot kill the process (issue 21, point 3).

Truncating ``history.db-shm`` under a WAL connection, or making the history files
immutable, made the next read or write die of SIGBUS (SQLite's shared-memory
mapping). The storage runs in a child process here, so a SIGBUS fails this test
instead of killing pytest; the child reports each step as JSON on its stdout.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import json, sys
from pathlib import Path
from keel.records import RunRecord
from keel.observability.logging import configure_logging
from keel.storage import HistoryReader, StorageError, StorageRecorder

configure_logging(to_file=False)  # stdout carries the steps
path = Path(sys.argv[1])
recorder = StorageRecorder(path, retry_initial_s=0.01, retry_max_s=0.05)
reader = HistoryReader(path, health=recorder.health)

def run(run_id):
    return RunRecord(run_id=run_id, workflow="review", target="a.py", status="succeeded",
                     started_at="2026-03-10T12:00:00Z")

def say(**fields):
    print(json.dumps(fields), flush=True)

def listed():
    try:
        return sorted(r.run_id for r in reader.list_runs())
    except StorageError as exc:
        return exc.code

def step(name, run_id, wait):
    recorder.run_finished(run(run_id))
    saved = recorder.flush(wait)
    health = recorder.health()
    say(step=name, saved=saved, status=health.status, code=health.last_error,
        fix=health.fix, runs=listed())
    sys.stdin.readline()

step("before", "r1", 10)
step("damaged", "r2", 1)
step("repaired", "r3", 10)
say(closed=recorder.close(5))
"""


def _history_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + "*"))


def _truncate_shared_memory(path: Path) -> None:
    # What a sync tool or a script of the same user can do at any moment.
    with open(path.with_name(path.name + "-shm"), "w"):
        pass


def _make_immutable(path: Path) -> None:
    subprocess.run(["chattr", "+i", *map(str, _history_files(path))], check=True)


def _repair(path: Path) -> None:
    subprocess.run(["chattr", "-i", *map(str, _history_files(path))], check=False)


def _older_keel_history(path: Path) -> None:
    """A history left in WAL mode by an older Keel (the new one leaves WAL on open)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


@pytest.mark.parametrize("damage", [_truncate_shared_memory, _make_immutable],
                         ids=["truncated-shm", "immutable"])
def test_damaged_history_files_fail_as_storage_errors_and_the_process_lives(tmp_path, damage):
    if damage is _make_immutable:
        assert shutil.which("chattr"), "chattr (e2fsprogs) is needed to make files immutable"
    path = tmp_path / "store" / "history.db"
    _older_keel_history(path)
    child = subprocess.Popen([sys.executable, "-I", "-c", CHILD, str(path)], cwd=tmp_path,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    assert child.stdin is not None and child.stdout is not None
    steps = []
    try:
        def next_step() -> dict:
            line = child.stdout.readline()
            assert line, f"the storage process died (exit {child.wait(30)}) after {steps}"
            steps.append(json.loads(line))
            return steps[-1]

        before = next_step()
        assert before["saved"] and before["runs"] == ["r1"]
        damage(path)
        child.stdin.write("\n")
        child.stdin.flush()
        damaged = next_step()
        _repair(path)
        child.stdin.write("\n")
        child.stdin.flush()
        repaired = next_step()
        child.stdin.write("\n")
        child.stdin.flush()
        assert next_step() == {"closed": True}
        assert child.wait(30) == 0
    finally:
        _repair(path)
        if child.poll() is None:
            child.kill()
            child.wait(30)
    if damage is _make_immutable:
        # Nothing can be written: a typed error with a fix, reads refuse rather than mislead.
        assert not damaged["saved"] and damaged["status"] == "down"
        assert damaged["code"] == "storage.not_writable" and "chattr -i" in damaged["fix"]
        assert damaged["runs"] == "storage.not_writable"
    else:
        assert damaged["saved"] and damaged["runs"] == ["r1", "r2"]
    # Once the files are usable again, Keel writes what waited, on its own.
    assert repaired["saved"] and repaired["status"] == "ok"
    assert repaired["runs"] == ["r1", "r2", "r3"]
