from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from keel.records import EstimateRecord, RunRecorder
from keel.storage import HistoryReader, StorageRecorder
from keel.storage.owner import is_gone, owner_of


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_recorder_satisfies_the_run_recorder_interface(recorder_factory) -> None:
    recorder: RunRecorder = recorder_factory()
    assert isinstance(recorder, StorageRecorder)


def test_a_run_is_written_running_then_finished_with_its_stages(recorder_factory, db_path,
                                                                build) -> None:
    recorder = recorder_factory()
    recorder.run_started(build.run("r1"))
    assert recorder.flush(5)
    assert _rows(db_path, "SELECT run_id, status FROM runs") == [("r1", "running")]

    recorder.model_call(build.call("r1", at="2026-03-10T12:00:01+02:00"))
    recorder.run_finished(build.run("r1", status="succeeded", duration_ms=1500, actual_usd=0.01,
                                    baseline_usd=0.05, stages=[build.stage("r1")]))
    recorder.estimate_made(EstimateRecord("review", "src/app.py", 1, 100, 20, 0.02, 7,
                                          "2026-03-10T11:59:00Z"))
    assert recorder.flush(5)

    assert _rows(db_path, "SELECT status, duration_ms, baseline_usd FROM runs") == \
        [("succeeded", 1500, 0.05)]
    assert _rows(db_path, "SELECT stage_id, input_tokens FROM stages") == [("review", 100)]
    # times are stored in UTC with milliseconds, whatever offset the caller used
    assert _rows(db_path, "SELECT at FROM model_calls") == [("2026-03-10T10:00:01.000Z",)]
    assert _rows(db_path, "SELECT workflow, usd_expected FROM estimates") == [("review", 0.02)]
    assert recorder.written == 4
    assert recorder.health().status == "ok"


def test_records_are_snapshotted_when_handed_over(recorder_factory, db_path, build) -> None:
    recorder = recorder_factory()
    run = build.run("r1")
    recorder.run_started(run)
    run.workflow = "changed-after-hand-over"
    assert recorder.flush(5)
    assert _rows(db_path, "SELECT workflow FROM runs") == [("review",)]


class Gate:
    """A boundary hook that holds the writer until released, and says when it is held."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def __call__(self) -> None:
        self.entered.set()
        self.released.wait(10)


def _recorder_holding_one_event(db_path: Path, build, max_queued: int):
    gate = Gate()
    recorder = StorageRecorder(db_path, max_queued=max_queued, before_write=gate)
    recorder.run_started(build.run("r1"))
    assert gate.entered.wait(5)  # "r1" is in flight, the queue is empty
    return recorder, gate


def test_full_queue_drops_the_oldest_and_counts_them(db_path, build) -> None:
    recorder, gate = _recorder_holding_one_event(db_path, build, max_queued=5)
    try:
        for index in range(12):
            recorder.model_call(build.call("r1", at=f"2026-03-10T12:00:{index:02d}Z"))
        health = recorder.health()
        assert (health.queued, health.dropped) == (6, 7)
        gate.released.set()
        assert recorder.flush(5)
        assert recorder.written == 6
        assert _rows(db_path, "SELECT substr(at, 18, 2) FROM model_calls ORDER BY at") == \
            [("07",), ("08",), ("09",), ("10",), ("11",)]
    finally:
        gate.released.set()
        recorder.close(timeout=2)


def test_drops_are_persisted_and_reported(db_path, build) -> None:
    from datetime import UTC, datetime

    recorder, gate = _recorder_holding_one_event(db_path, build, max_queued=2)
    for index in range(6):
        recorder.model_call(build.call("r1", at=f"2026-03-10T12:00:{index:02d}Z"))
    gate.released.set()
    assert recorder.flush(5)
    assert recorder.close(2)
    assert recorder.health().dropped == 4
    with HistoryReader(db_path) as reader:
        assert reader.usage_report(days=1, now=datetime.now(UTC)).dropped_events == 4


def test_malformed_record_is_counted_not_raised(recorder_factory, build) -> None:
    recorder = recorder_factory()
    recorder.model_call(build.call("r1", at="not a time"))
    recorder.run_started(build.run("r2"))
    assert recorder.flush(5)
    assert recorder.health().dropped == 1
    assert recorder.written == 1


def test_close_drains_the_queue_and_later_events_are_counted(db_path, build) -> None:
    recorder = StorageRecorder(db_path)
    for index in range(500):
        recorder.run_started(build.run(f"r{index}"))
    assert recorder.close(timeout=5)
    assert _rows(db_path, "SELECT count(*) FROM runs") == [(500,)]
    recorder.run_started(build.run("late"))
    assert recorder.health().dropped == 1


@pytest.fixture
def other_process():
    """A live process of this host (its owner identity), and a way to end it."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    owner = owner_of(child.pid)
    assert owner is not None

    def end() -> None:
        child.kill()
        child.wait()

    yield owner, end
    end()


def test_a_dead_processes_running_runs_are_marked_interrupted(db_path, build,
                                                                 other_process) -> None:
    owner, end = other_process
    first = StorageRecorder(db_path, owner=owner)
    first.run_started(build.run("left-running"))
    assert first.close(5)
    end()

    second = StorageRecorder(db_path)
    second.run_started(build.run("mine"))
    assert second.flush(5)
    assert second.interrupted_runs == 1
    assert second.close(5)
    assert _rows(db_path, "SELECT run_id, status FROM runs ORDER BY run_id") == \
        [("left-running", "interrupted"), ("mine", "running")]


def test_a_live_processes_running_runs_are_left_running(db_path, build, other_process) -> None:
    owner, _ = other_process
    first = StorageRecorder(db_path, owner=owner)  # e.g. a second editor window on this workspace
    first.run_started(build.run("theirs"))
    assert first.flush(5)

    second = StorageRecorder(db_path)
    assert second.flush(5)
    assert second.interrupted_runs == 0
    first.run_finished(build.run("theirs", status="succeeded"))
    assert first.close(5) and second.close(5)
    assert _rows(db_path, "SELECT run_id, status FROM runs") == [("theirs", "succeeded")]


def test_a_run_id_of_another_process_never_merges_into_its_row(db_path, build,
                                                               other_process) -> None:
    owner, _ = other_process
    first = StorageRecorder(db_path, owner=owner)
    first.run_started(build.run("same-id"))
    first.run_finished(build.run("same-id", status="failed"))
    assert first.close(5)
    second = StorageRecorder(db_path)
    second.run_started(build.run("same-id"))
    second.run_finished(build.run("same-id", status="succeeded"))
    assert second.close(5)
    assert _rows(db_path, "SELECT run_id, status, owner_pid FROM runs") == \
        [("same-id", "failed", owner.pid)]
    assert HistoryReader(db_path).has_run("same-id") and not HistoryReader(db_path).has_run("x")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no zombies")
def test_a_killed_but_unreaped_process_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    owner = owner_of(child.pid)
    assert owner is not None and not is_gone(owner.pid, owner.token)
    os.kill(child.pid, signal.SIGKILL)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
    try:
        assert is_gone(owner.pid, owner.token)
    finally:
        child.wait()
