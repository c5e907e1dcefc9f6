from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from keel.storage import SchemaTooNew, open_database
from keel.storage.database import migrate, schema_version
from keel.storage.reader import HistoryReader
from keel.storage.schema import CURRENT_VERSION, MIGRATIONS

# Rows as an older Keel wrote them, per version: (table, columns, rows).
V1_ROWS = [
    ("runs", "run_id, workflow, target, status, started_at, duration_ms, actual_usd, baseline_usd",
     [("r-old", "review", "a.py", "succeeded", "2026-03-01T10:00:00.000Z", 1200, 0.5, 2.0),
      ("r-mid", "docs", "b.py", "failed", "2026-03-02T10:00:00.000Z", 800, 0.25, 1.0)]),
    ("stages", "run_id, stage_id, status, input_tokens, output_tokens, usd",
     [("r-old", "review", "succeeded", 1000, 200, 0.5)]),
    ("model_calls", "run_id, stage_id, provider, model, outcome, attempts, fallback, usd, at",
     [("r-old", "review", "anthropic", "m", "failed", 2, 0, 0.0, "2026-03-01T10:00:01.000Z"),
      ("r-old", "review", "anthropic", "m", "succeeded", 1, 1, 0.5, "2026-03-01T10:00:04.000Z"),
      ("r-mid", "docs", "openai", "m", "succeeded", 1, 0, 0.25, "2026-03-02T10:00:01.000Z")]),
]
V2_ROWS = [
    ("stages", "run_id, stage_id, status, input_tokens, output_tokens, usd, "
     "estimated_input_tokens, estimated_output_tokens",
     [("r-mid", "docs", "failed", 100, 100, 0.25, 150, 90)]),
    ("estimates", "workflow, target, files, input_tokens, output_tokens, usd_expected, "
     "duration_ms, at",
     [("review", "a.py", 1, 900, 100, 0.4, 15, "2026-03-01T09:59:00.000Z")]),
]


def _historical_db(path: Path, version: int) -> None:
    conn = _at_version(path, version)
    for table, columns, rows in V1_ROWS + (V2_ROWS if version >= 2 else []):
        marks = ", ".join("?" for _ in columns.split(","))
        conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    conn.close()


def _at_version(path: Path, version: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, path, target=version)
    return conn


def _schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                        "WHERE name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    conn.close()
    return rows


def test_migrations_are_numbered_one_step_at_a_time() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, CURRENT_VERSION + 1))
    assert CURRENT_VERSION >= 3


@pytest.mark.parametrize("version", [1, 2, 3])
def test_older_database_migrates_to_current_with_data_intact(tmp_path: Path,
                                                             version: int) -> None:
    old = tmp_path / f"v{version}.db"
    _historical_db(old, version)
    fresh = tmp_path / "fresh.db"
    open_database(fresh).close()

    conn = open_database(old)
    assert schema_version(conn) == CURRENT_VERSION
    assert conn.execute("SELECT run_id, status, actual_usd FROM runs ORDER BY run_id").fetchall() \
        == [("r-mid", "failed", 0.25), ("r-old", "succeeded", 0.5)]
    assert conn.execute("SELECT count(*) FROM model_calls").fetchone() == (3,)
    expected_stages = 2 if version >= 2 else 1
    assert conn.execute("SELECT count(*) FROM stages").fetchone() == (expected_stages,)
    conn.close()
    assert _schema(old) == _schema(fresh)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_migration_backfills_rollups_so_reports_cover_old_history(tmp_path: Path,
                                                                  version: int) -> None:
    from datetime import UTC, datetime

    old = tmp_path / f"v{version}.db"
    _historical_db(old, version)
    with HistoryReader(old) as reader:
        report = reader.usage_report(days=30, now=datetime(2026, 3, 5, tzinfo=UTC))
        samples, error = reader.estimator_error()
    assert (report.runs, report.succeeded, report.failed) == (2, 1, 1)
    assert report.actual_usd == 0.75 and report.baseline_usd == 3.0
    assert report.retry_amplification == pytest.approx(4 / 3, abs=1e-6)
    assert report.fallback_rate == pytest.approx(1 / 3, abs=1e-6)
    # anthropic failed at 10:00:01 and recovered at 10:00:04
    assert report.mean_time_to_recovery_ms == 3000
    if version >= 2:
        # estimated 240 tokens for an actual 200: +20 %
        assert (samples, error) == (1, pytest.approx(20.0))
    else:
        assert (samples, error) == (0, None)


def test_database_from_a_newer_keel_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = open_database(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                 (str(CURRENT_VERSION + 1),))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = path.read_bytes()

    with pytest.raises(SchemaTooNew) as caught:
        open_database(path)

    assert caught.value.code == "storage.schema_too_new"
    assert f"v{CURRENT_VERSION + 1}" in caught.value.message
    assert "update Keel" in caught.value.message
    assert path.read_bytes() == before


def test_failed_migration_leaves_the_database_at_its_old_version(tmp_path: Path,
                                                                  monkeypatch) -> None:
    from keel.storage import schema

    path = tmp_path / "v1.db"
    _historical_db(path, 1)
    broken = schema.Migration(3, "broken", schema.V3 + ("CREATE TABLE runs (x)",))
    monkeypatch.setattr("keel.storage.database.MIGRATIONS",
                        (*schema.MIGRATIONS[:2], broken))
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, path)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    conn.close()


def test_v3_runs_gain_an_empty_owner_and_a_left_running_one_counts_as_orphaned(tmp_path: Path) -> None:
    from keel.storage import StorageRecorder

    old = tmp_path / "v3.db"
    _historical_db(old, 3)
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("INSERT INTO runs (run_id, workflow, target, status, started_at) "
                 "VALUES ('r-live', 'review', 'c.py', 'running', '2026-03-03T10:00:00.000Z')")
    conn.close()
    recorder = StorageRecorder(old)
    assert recorder.flush(5)
    assert recorder.interrupted_runs == 1  # written by a Keel that recorded no owner: gone
    assert recorder.close(5)
    conn = sqlite3.connect(old)
    assert conn.execute("SELECT run_id, status, owner_pid, owner_token FROM runs "
                        "ORDER BY run_id").fetchall() == [
        ("r-live", "interrupted", None, None), ("r-mid", "failed", None, None),
        ("r-old", "succeeded", None, None)]
    conn.close()
