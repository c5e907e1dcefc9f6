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
    assert "partial" in table.stdout and "a.py" in table.stdout
    assert "review on" in table.stdout  # the report's heading, rendered


def test_a_huge_report_is_kept_cut_with_a_note():
    from keel.storage.events import REPORT_KEPT_CHARS, _bounded_report

    kept = _bounded_report("x" * (REPORT_KEPT_CHARS + 10))
    assert kept.startswith("x" * 100) and kept.endswith("(the rest of this report was not kept)\n")
    assert _bounded_report("short") == "short" and _bounded_report(None) is None
