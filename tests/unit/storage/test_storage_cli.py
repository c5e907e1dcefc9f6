from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from keel.cli.history import register
from keel.storage import StorageRecorder, database_path


@pytest.fixture
def app() -> typer.Typer:
    fresh = typer.Typer()
    register(fresh)
    return fresh


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def storage(tmp_path: Path, workspace: Path, build) -> Path:
    folder = tmp_path / "storage"
    recorder = StorageRecorder(database_path(workspace, folder))
    today = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    old = (today - timedelta(days=100)).isoformat()
    for run_id, workflow, started, status in [
        ("ancient", "review", old, "failed"),
        ("r1", "review", today.isoformat(), "succeeded"),
        ("r2", "docs", (today + timedelta(minutes=5)).isoformat(), "timedOut"),
    ]:
        recorder.run_started(build.run(run_id, workflow=workflow, started_at=started))
        recorder.model_call(build.call(run_id, at=started, attempts=2))
        recorder.run_finished(build.run(run_id, workflow=workflow, started_at=started,
                                        status=status, actual_usd=0.25, baseline_usd=1.0))
    assert recorder.close(10)
    return folder


def _args(workspace: Path, storage: Path, *args: str) -> list[str]:
    return [*args, "--workspace", str(workspace), "--storage-dir", str(storage)]


def test_history_json_lists_newest_first(app, workspace, storage) -> None:
    result = CliRunner().invoke(app, _args(workspace, storage, "history", "--json"))
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["runId"] for r in runs] == ["r2", "r1", "ancient"]
    assert runs[0]["status"] == "timedOut"


def test_history_filters_and_limits(app, workspace, storage) -> None:
    runner = CliRunner()
    by_workflow = runner.invoke(app, _args(workspace, storage, "history", "--workflow",
                                           "review", "--json"))
    limited = runner.invoke(app, _args(workspace, storage, "history", "--limit", "1", "--json"))
    assert [r["runId"] for r in json.loads(by_workflow.stdout)["runs"]] == ["r1", "ancient"]
    assert [r["runId"] for r in json.loads(limited.stdout)["runs"]] == ["r2"]


def test_history_table(app, workspace, storage) -> None:
    result = CliRunner().invoke(app, _args(workspace, storage, "history"))
    assert result.exit_code == 0, result.output
    assert "Timed out" in result.stdout and "docs" in result.stdout
    assert "3 runs, newest first" in result.stdout


def test_report_json_and_table(app, workspace, storage) -> None:
    runner = CliRunner()
    result = runner.invoke(app, _args(workspace, storage, "report", "--days", "7", "--json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["runs"], report["succeeded"], report["timedOut"]) == (2, 1, 1)
    assert (report["actualUsd"], report["savingsUsd"], report["retryAmplification"]) == \
        (0.5, 1.5, 2.0)
    table = runner.invoke(app, _args(workspace, storage, "report"))
    assert table.exit_code == 0, table.output
    assert "retry amplification" in table.stdout and "by provider" in table.stdout


def test_cleanup_dry_run_then_apply(app, workspace, storage) -> None:
    runner = CliRunner()
    dry = runner.invoke(app, _args(workspace, storage, "history", "cleanup", "--days", "30",
                                   "--json"))
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["runsDeleted"] == 1
    assert json.loads(dry.stdout)["dryRun"] is True
    applied = runner.invoke(app, _args(workspace, storage, "history", "cleanup", "--apply",
                                       "--days", "30"))
    assert applied.exit_code == 0, applied.output
    assert "deleted 1 runs and 1 model calls" in applied.stdout
    after = runner.invoke(app, _args(workspace, storage, "history", "--json"))
    assert [r["runId"] for r in json.loads(after.stdout)["runs"]] == ["r2", "r1"]


def test_database_from_a_newer_keel_exits_with_the_config_code(app, workspace,
                                                                tmp_path) -> None:
    import sqlite3

    folder = tmp_path / "future"
    path = database_path(workspace, folder)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(app, _args(workspace, folder, "history"))
    assert result.exit_code == 3
    assert "schema v99" in result.stderr
