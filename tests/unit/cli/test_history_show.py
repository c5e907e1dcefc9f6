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
    table = CliRunner().invoke(app, ["history", "show", run_id, "-w", str(tmp_path)],
                               env={"COLUMNS": "200"})
    assert "partial" in table.stdout and "a.py" in table.stdout
