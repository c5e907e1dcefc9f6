"""`keel history` shows run ids; `keel history show RUN_ID` reopens one run."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from keel.cli.app import app


def test_history_lists_run_ids_and_show_reopens_a_run(tmp_path):
    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    ran = CliRunner().invoke(app, ["run", "review", "a.py", "-w", str(tmp_path), "--json"])
    run_id = json.loads(ran.stdout)["runId"]
    listed = CliRunner().invoke(app, ["history", "-w", str(tmp_path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and run_id in listed.stdout
    shown = CliRunner().invoke(app, ["history", "show", run_id[:10], "-w", str(tmp_path), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["runId"] == run_id
    report = json.loads(ran.stdout)["report"]["markdown"]
    assert json.loads(shown.stdout)["reportMarkdown"] == report  # the very report, reopened
    table = CliRunner().invoke(app, ["history", "show", run_id, "-w", str(tmp_path)],
                               env={"COLUMNS": "200"})
    assert "Partly done" in table.stdout and "a.py" in table.stdout
    assert "review on" in table.stdout  # the report's heading, rendered


def test_a_huge_report_is_kept_cut_with_a_note():
    from keel.storage.events import REPORT_KEPT_CHARS, _bounded_report

    kept = _bounded_report("x" * (REPORT_KEPT_CHARS + 10))
    assert kept.startswith("x" * 100) and kept.endswith("(the rest of this report was not kept)\n")
    assert _bounded_report("short") == "short" and _bounded_report(None) is None


def _recorded(tmp_path, runs: int = 3) -> tuple:
    from keel.records import RunRecord
    from keel.storage import StorageRecorder, database_path

    workspace, store = tmp_path / "ws", tmp_path / "store"
    workspace.mkdir()
    recorder = StorageRecorder(database_path(workspace, store))
    ids = [f"3f2a9c1b-2d4e-4f6a-8b9c-0d1e2f3a4b{n:02d}" for n in range(runs)]  # client UUIDs
    for n, run_id in enumerate(ids):
        record = RunRecord(run_id=run_id, workflow="security-audit",
                           target="src/requests/adapters/very/deep/package", status="cancelled",
                           started_at=f"2026-03-1{n}T10:0{n}:00Z", duration_ms=12_345,
                           actual_usd=0.0123)
        recorder.run_started(record)
        recorder.run_finished(record)
    assert recorder.close(10)
    return workspace, store, ids


def test_history_at_80_columns_keeps_run_ids_whole_with_local_human_times(tmp_path):
    from datetime import datetime

    workspace, store, ids = _recorded(tmp_path)
    listed = CliRunner().invoke(app, ["history", "-w", str(workspace), "--storage-dir",
                                      str(store)], env={"COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    for run_id in ids:  # each id whole on one line: copyable
        assert any(run_id in line for line in lines), (run_id, listed.stdout)
    assert all(len(line) <= 80 for line in lines), listed.stdout
    local = datetime.fromisoformat("2026-03-10T10:00:00+00:00").astimezone()
    assert local.strftime("%Y-%m-%d %H:%M") in listed.stdout
    assert "T10:00:00Z" not in listed.stdout and "Cancelled" in listed.stdout
    assert "src/requests/adapters/very/deep/package" in listed.stdout.replace("\n", "")


def test_history_keeps_its_table_when_the_terminal_is_wide_enough(tmp_path):
    workspace, store, ids = _recorded(tmp_path, runs=1)
    listed = CliRunner().invoke(app, ["history", "-w", str(workspace), "--storage-dir",
                                      str(store)], env={"COLUMNS": "200"})
    assert "┃ run id" in listed.stdout and ids[0] in listed.stdout
