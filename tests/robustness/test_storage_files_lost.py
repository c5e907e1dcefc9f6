"""History files lost under a running server: noticed, recreated, said; nothing acknowledged that
is not on disk; health and resources follow storage.dir switches (issue 21, points 2 and 4)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sqlite3
import threading
from pathlib import Path

from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.records import RunRecord
from keel.storage import HistoryReader, StorageRecorder
from keel.storage.loss import RUN_NOTE


def _run(run_id: str, status: str = "running", report: str | None = None) -> RunRecord:
    return RunRecord(run_id=run_id, workflow="review", target="src/app.py", status=status,
                     started_at="2026-03-10T12:00:00Z", report_markdown=report)


def _rows(path: Path) -> dict[str, tuple[str, str, str | None]]:
    """What a fresh process would read: run id → (status, degraded, report)."""
    conn = sqlite3.connect(path)
    try:
        return {row[0]: row[1:] for row in conn.execute(
            "SELECT run_id, status, degraded, report_markdown FROM runs")}
    finally:
        conn.close()


def _remove_history(path: Path) -> None:
    for name in (path.name, path.name + "-journal", path.name + "-wal", path.name + "-shm"):
        path.with_name(name).unlink(missing_ok=True)


def _recorder(path: Path, **options) -> StorageRecorder:
    return StorageRecorder(path, retry_initial_s=0.01, retry_max_s=0.05, **options)


def test_history_deleted_while_running_is_recreated_and_health_and_the_run_say_so(tmp_path):
    path = tmp_path / "store" / "history.db"
    recorder = _recorder(path)
    reader = HistoryReader(path, health=recorder.health)
    try:
        recorder.run_finished(_run("before", "succeeded"))
        recorder.run_started(_run("in-flight"))
        assert recorder.flush(10)
        assert [r.run_id for r in reader.list_runs()] == ["in-flight", "before"]

        _remove_history(path)  # a cleanup script, a sync tool
        recorder.run_finished(_run("in-flight", "succeeded", report="# Report\n"))
        recorder.run_finished(_run("after", "succeeded"))
        assert recorder.flush(10)

        rows = _rows(path)  # on disk, where a restart will look
        assert set(rows) == {"in-flight", "after"}
        status, degraded, report = rows["in-flight"]
        assert status == "succeeded" and RUN_NOTE in json.loads(degraded)
        assert report is not None and RUN_NOTE in report  # the run says so when reopened
        assert RUN_NOTE not in json.loads(rows["after"][1])
        health = recorder.health()
        assert health.status == "degraded" and health.last_error == "storage.recreated"
        assert "the 2 runs it held are gone" in health.detail
        assert health.fix is not None and "backup" in health.fix
        assert sorted(r.run_id for r in reader.list_runs()) == ["after", "in-flight"]
    finally:
        reader.close()
        assert recorder.close(5)


def test_a_batch_committed_into_a_file_deleted_meanwhile_is_written_again(tmp_path):
    path = tmp_path / "history.db"
    armed = threading.Event()

    def delete_between_check_and_commit() -> None:
        if armed.is_set():
            armed.clear()
            _remove_history(path)

    recorder = _recorder(path, before_write=delete_between_check_and_commit)
    try:
        recorder.run_finished(_run("first", "succeeded"))
        assert recorder.flush(10)
        armed.set()
        recorder.run_finished(_run("second", "succeeded"))
        assert recorder.flush(10)  # acknowledged only once it is in the file at the path
        assert set(_rows(path)) == {"second"}
        assert recorder.health().last_error == "storage.recreated"
    finally:
        assert recorder.close(5)


def test_after_a_full_disk_freed_by_deleting_history_runs_shows_the_new_runs(tmp_path):
    path = tmp_path / "history.db"
    full = threading.Event()

    def disk() -> None:
        if full.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")

    recorder = _recorder(path, before_write=disk)
    reader = HistoryReader(path, health=recorder.health)
    try:
        recorder.run_finished(_run("old", "succeeded"))
        assert recorder.flush(10)
        assert [r.run_id for r in reader.list_runs()] == ["old"]
        full.set()
        recorder.run_finished(_run("new", "succeeded"))
        assert not recorder.flush(0.2)
        assert recorder.health().last_error == "storage.disk_full"
        _remove_history(path)  # the user frees space
        full.clear()
        assert recorder.flush(10)
        assert [r.run_id for r in reader.list_runs()] == ["new"]  # never the stale list
        health = recorder.health()
        assert health.status == "degraded" and health.last_error == "storage.recreated"
        assert "earlier runs are gone" in health.detail
    finally:
        reader.close()
        assert recorder.close(5)


def _storage_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "keel-storage-writer")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _until(condition, what: str) -> None:
    for _ in range(6000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_storage_dir_switches_release_what_the_old_place_held_and_health_recovers(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    places = [str(tmp_path / "a"), str(blocker / "sub"), str(tmp_path / "b")]
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1)

    def status() -> str:
        component = app.monitor.component("storage")
        return component.status if component else "?"

    async def switch(to: str) -> None:
        app.apply_settings({"storage": {"dir": to}}, "settings")
        start_storage(app)
        assert app.storage is not None
        await asyncio.to_thread(app.storage.flush, 0.2)

    try:
        await switch(places[1])  # unwritable
        await _until(lambda: status() == "down", "storage down")
        await switch(places[0])  # good again: health follows
        await _until(lambda: status() == "ok", "storage back to ok")
        for i in range(10):  # warm up: the loop's executor reaches its size
            await switch(places[i % 3])
        await _until(lambda: _storage_threads() == 1, "old writers gone")
        fds, threads = _open_fds(), set(threading.enumerate())
        for i in range(100):
            await switch(places[i % 3])
        await switch(places[2])
        await _until(lambda: _storage_threads() == 1, "old writers gone")
        await _until(lambda: status() == "ok", "storage ok on the last, good place")
        # Old readers close in the loop's executor: wait for the count to come back.
        await _until(lambda: _open_fds() <= fds, f"open fds back to {fds} (now {_open_fds()})")
        # Threads that earlier tests left ending on their own timers may go meanwhile:
        # what must not happen is a thread started by the switches and left running
        # (besides the one writer of the last place, counted above).
        started = [t.name for t in threading.enumerate()
                   if t not in threads and t.name != "keel-storage-writer"]
        assert started == [], f"threads left by the switches: {started}"
    finally:
        await app.aclose()
