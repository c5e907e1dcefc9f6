from __future__ import annotations

import errno
import sqlite3
import threading
from pathlib import Path

import pytest

from keel.storage import StorageHealth, open_database


class Statuses:
    """Collects status changes pushed by the recorder; lets a test wait for one."""

    def __init__(self) -> None:
        self.seen: list[StorageHealth] = []
        self._changed = threading.Condition()

    def __call__(self, health: StorageHealth) -> None:
        with self._changed:
            self.seen.append(health)
            self._changed.notify_all()

    def wait_for(self, status: str, timeout: float = 10) -> StorageHealth:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(h.status == status for h in self.seen), timeout), self.seen
            return next(h for h in self.seen if h.status == status)

    @property
    def names(self) -> list[str]:
        return [h.status for h in self.seen]


class Fault:
    """An injectable boundary fault, raised while ``active``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.active = True
        self.raised = 0

    def __call__(self) -> None:
        if self.active:
            self.raised += 1
            raise self.error


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_unwritable_directory_goes_down_with_a_fix_keeps_events_and_recovers(
        tmp_path: Path, recorder_factory, build) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file where a folder should be")
    path = blocker / "sub" / "history.db"
    statuses = Statuses()
    recorder = recorder_factory(path, listeners=[statuses])

    recorder.run_started(build.run("r1"))  # must not raise
    recorder.model_call(build.call("r1", at="2026-03-10T12:00:01Z"))
    down = statuses.wait_for("down")

    assert down.detail == f"history not saved: {blocker / 'sub'} is not writable"
    assert down.fix == "set keel.storage.dir to a writable folder"
    assert down.last_error == "storage.not_writable"
    assert recorder.health().queued == 2
    assert recorder.health().dropped == 0
    assert not recorder.flush(0.1)

    blocker.unlink()  # the user fixes the folder: queued events are written
    assert recorder.flush(10)
    assert statuses.names == ["down", "ok"]
    assert _count(path, "runs") == 1 and _count(path, "model_calls") == 1


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    sqlite3.OperationalError("database or disk is full"),
], ids=["ENOSPC", "sqlite-full"])
def test_disk_full_keeps_events_queued_then_writes_them_when_space_returns(
        db_path: Path, recorder_factory, build, error: BaseException) -> None:
    fault = Fault(error)
    statuses = Statuses()
    recorder = recorder_factory(before_write=fault, listeners=[statuses])
    for index in range(50):
        recorder.model_call(build.call("r1", at=f"2026-03-10T12:00:{index:02d}Z"))

    down = statuses.wait_for("down")
    assert "is full" in down.detail and "keel.storage.dir" in down.fix
    assert down.last_error == "storage.disk_full"
    assert recorder.health().queued == 50

    fault.active = False
    assert recorder.flush(10)
    assert _count(db_path, "model_calls") == 50
    assert recorder.health() == StorageHealth("ok", "history is saved", None, 0, 0,
                                              "storage.disk_full")
    assert statuses.names == ["ok", "down", "ok"]  # the first "ok": the first open, announced


def test_bounded_buffer_while_down_drops_oldest_counted(db_path: Path, recorder_factory,
                                                         build) -> None:
    fault = Fault(OSError(errno.ENOSPC, "No space left on device"))
    statuses = Statuses()
    # A long backoff: the writer retries only when flush asks it to.
    recorder = recorder_factory(before_write=fault, max_queued=10, retry_initial_s=60,
                                retry_max_s=60, listeners=[statuses])
    recorder.model_call(build.call("r1", at="2026-03-10T12:00:00Z"))
    statuses.wait_for("down")
    for index in range(1, 25):
        recorder.model_call(build.call("r1", at=f"2026-03-10T12:00:{index:02d}Z"))
    health = recorder.health()
    assert (health.queued, health.dropped) == (10, 15)

    fault.active = False
    assert recorder.flush(10)
    conn = sqlite3.connect(db_path)
    kept = [row[0] for row in conn.execute("SELECT substr(at, 18, 2) FROM model_calls "
                                           "ORDER BY at")]
    conn.close()
    assert kept == [f"{second:02d}" for second in range(15, 25)]
    assert recorder.health().dropped == 15


def test_transient_io_error_is_degraded_and_retried(db_path: Path, recorder_factory,
                                                    build) -> None:
    fault = Fault(OSError(errno.EIO, "Input/output error"))
    statuses = Statuses()
    recorder = recorder_factory(before_write=fault, listeners=[statuses])
    recorder.run_started(build.run("r1"))
    statuses.wait_for("degraded")
    fault.active = False
    assert recorder.flush(10)
    assert statuses.names == ["ok", "degraded", "ok"]
    assert _count(db_path, "runs") == 1


def test_locked_database_is_retried_and_eventually_written(db_path: Path, recorder_factory,
                                                           build) -> None:
    open_database(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    statuses = Statuses()
    recorder = recorder_factory(listeners=[statuses])
    try:
        recorder.run_started(build.run("r1"))
        degraded = statuses.wait_for("degraded")
        assert degraded.last_error == "storage.locked"
        assert "locked" in degraded.detail
        assert recorder.health().queued == 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert recorder.flush(10)
    assert _count(db_path, "runs") == 1
    assert statuses.names == ["degraded", "ok"]


def test_database_the_disk_refuses_events_of_is_reported_as_rejected(
        db_path: Path, recorder_factory, build) -> None:
    recorder = recorder_factory()
    recorder.run_started(build.run("r1"))
    assert recorder.flush(5)
    conn = sqlite3.connect(db_path, isolation_level=None)
    # a trigger that refuses one provider: the database, not the disk, is at fault
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON model_calls WHEN NEW.provider = 'bad' "
                 "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    conn.close()
    recorder.model_call(build.call("r1", at="2026-03-10T12:00:01Z"))
    recorder.model_call(build.call("r1", at="2026-03-10T12:00:02Z", provider="bad"))
    recorder.model_call(build.call("r1", at="2026-03-10T12:00:03Z"))
    assert recorder.flush(5)
    assert _count(db_path, "model_calls") == 2
    assert recorder.health().dropped == 1
    assert recorder.health().status == "ok"


def test_a_bug_at_the_boundary_keeps_events_and_the_writer_alive(db_path: Path,
                                                                  recorder_factory,
                                                                  build) -> None:
    def broken_listener(health: StorageHealth) -> None:
        raise RuntimeError("listener bug")

    fault = Fault(RuntimeError("unexpected bug"))
    statuses = Statuses()
    recorder = recorder_factory(before_write=fault, listeners=[broken_listener, statuses])
    recorder.run_started(build.run("r1"))
    down = statuses.wait_for("down")
    assert down.last_error == "storage.internal"
    assert recorder.health().queued == 1
    fault.active = False
    assert recorder.flush(10)
    assert _count(db_path, "runs") == 1
    assert statuses.names == ["ok", "down", "ok"]
