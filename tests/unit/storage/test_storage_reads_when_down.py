"""keel/runs and keel/report fail with the storage error while storage is down, never answer empty."""

from __future__ import annotations

import threading

import pytest

from keel.app.history_ops import runs, start_storage
from keel.app.reliability_ops import report
from keel.app.state import KeelApp
from keel.protocol.history import ReportParams, RunsParams
from keel.storage.boundary import StorageError
from keel.storage.reader import HistoryReader
from keel.storage.recorder import StorageRecorder


def _down_recorder(tmp_path) -> StorageRecorder:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    changed = threading.Event()
    recorder = StorageRecorder(blocker / "sub" / "history.db",
                               listeners=[lambda health: changed.set()])
    assert changed.wait(10), "the writer never reported its first open"
    return recorder


def test_reader_raises_the_recorders_error_while_it_is_down(tmp_path):
    recorder = _down_recorder(tmp_path)
    try:
        reader = HistoryReader(recorder.db_path, health=recorder.health)
        for read in (reader.list_runs, reader.usage_report):
            with pytest.raises(StorageError) as info:
                read()
            assert info.value.code == "storage.not_writable"
            assert "keel.storage.dir" in (info.value.hint or "")
        # Without the recorder's health (the CLI), an absent database still reads as empty.
        assert HistoryReader(recorder.db_path).list_runs() == []
    finally:
        recorder.close(1.0)


def test_reader_reads_while_storage_is_ok(tmp_path):
    recorder = StorageRecorder(tmp_path / "history.db")
    try:
        assert recorder.flush(10)
        assert HistoryReader(recorder.db_path, health=recorder.health).list_runs() == []
    finally:
        recorder.close(1.0)


async def test_runs_and_report_methods_fail_with_a_storage_code_while_down(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1)
    app.apply_settings({"storage": {"dir": str(blocker / "sub")}}, "settings")
    start_storage(app)
    try:
        recorder = app.storage
        assert isinstance(recorder, StorageRecorder)
        recorder.flush(5)  # waits for the first open, which fails
        assert recorder.health().status == "down"
        with pytest.raises(StorageError) as info:
            await runs(app, RunsParams())
        assert info.value.code.startswith("storage.")
        with pytest.raises(StorageError):
            await report(app, ReportParams())
    finally:
        await app.aclose()


def test_a_reader_that_read_before_the_database_existed_sees_it_once_written(tmp_path, build):
    path = tmp_path / "history.db"
    reader = HistoryReader(path)
    assert not reader.has_run("r1") and reader.list_runs() == []  # nothing on disk yet
    recorder = StorageRecorder(path)
    recorder.run_started(build.run("r1"))
    assert recorder.close(5)
    assert reader.has_run("r1") and [r.run_id for r in reader.list_runs()] == ["r1"]
    reader.close()
