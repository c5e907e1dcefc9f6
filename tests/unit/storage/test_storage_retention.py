from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from keel.storage import HistoryReader, StorageRecorder

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def _fill(db_path: Path, build, days: list[int], calls_per_run: int = 3) -> None:
    recorder = StorageRecorder(db_path)
    for index, day in enumerate(days):
        started = f"2026-03-{day:02d}T10:{index // 60 % 60:02d}:{index % 60:02d}Z"
        run_id = f"r{index}"
        recorder.run_started(build.run(run_id, started_at=started))
        for n in range(calls_per_run):
            recorder.model_call(build.call(run_id, at=started, attempts=1 + n))
        recorder.run_finished(build.run(run_id, started_at=started, status="succeeded",
                                        actual_usd=0.1))
    assert recorder.close(10)


def _counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT count(*) FROM runs").fetchone()[0],
                conn.execute("SELECT count(*) FROM model_calls").fetchone()[0])
    finally:
        conn.close()


def test_age_cleanup_dry_run_changes_nothing_and_apply_deletes(db_path: Path, build) -> None:
    _fill(db_path, build, days=[1, 2, 8, 9, 10])
    with HistoryReader(db_path) as reader:
        dry = reader.cleanup(retention_days=3, max_bytes=1 << 30, dry_run=True, now=NOW)
        assert (dry.runs_deleted, dry.calls_deleted, dry.dry_run) == (2, 6, True)
        assert _counts(db_path) == (5, 15)
        assert reader.usage_report(days=30, now=NOW).runs == 5

        applied = reader.cleanup(retention_days=3, max_bytes=1 << 30, dry_run=False, now=NOW)
        assert (applied.runs_deleted, applied.calls_deleted) == (2, 6)
        assert _counts(db_path) == (3, 9)
        # the rollups follow the deletes
        report = reader.usage_report(days=30, now=NOW)
        assert (report.runs, report.actual_usd) == (3, 0.3)
        assert [d.key for d in report.by_day] == ["2026-03-08", "2026-03-09", "2026-03-10"]
        assert [r.run_id for r in reader.list_runs()] == ["r4", "r3", "r2"]


def test_size_cleanup_deletes_the_oldest_runs_until_data_fits(db_path: Path, build) -> None:
    _fill(db_path, build, days=[1 + i // 100 for i in range(600)], calls_per_run=5)
    with HistoryReader(db_path) as reader:
        before = reader.cleanup(retention_days=365, max_bytes=1 << 30, dry_run=True, now=NOW)
        assert before.runs_deleted == 0
        limit = before.bytes_before // 2
        report = reader.cleanup(retention_days=365, max_bytes=limit, dry_run=False, now=NOW)
        remaining = reader.list_runs(limit=10_000)
    assert report.runs_deleted > 0
    assert report.bytes_after <= limit
    assert report.bytes_after < report.bytes_before
    assert len(remaining) == 600 - report.runs_deleted
    # what is left is the newest history
    oldest_kept = min(int(r.run_id[1:]) for r in remaining)
    assert oldest_kept == report.runs_deleted


def test_running_runs_are_never_deleted(db_path: Path, build) -> None:
    recorder = StorageRecorder(db_path)
    recorder.run_started(build.run("live", started_at="2026-01-01T00:00:00Z"))
    assert recorder.flush(5)
    with HistoryReader(db_path) as reader:
        report = reader.cleanup(retention_days=1, max_bytes=1 << 20, dry_run=False, now=NOW)
        assert report.runs_deleted == 0
        assert [r.run_id for r in reader.list_runs()] == ["live"]
    assert recorder.close(5)
