"""`keel run` exit codes tell the truth about the run (the table in keel/cli/run.py)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from keel.cli.app import app
from keel.cli.run import exit_code
from keel.protocol.workflows import RunResult


def _result(status: str, stage_error: str | None = None, error: str | None = None) -> RunResult:
    def data(error_type: str) -> dict:
        return {"errorType": error_type, "transient": False, "code": f"{error_type}.x"}

    stage = {"id": "review", "status": "failed" if stage_error else "skipped"}
    if stage_error:
        stage["error"] = data(stage_error)
    return RunResult.model_validate({
        "runId": "r", "workflow": "review", "target": "a.py", "status": status,
        "startedAt": "2026-01-01T00:00:00Z", "durationMs": 1, "stages": [stage],
        "report": {"markdown": ""}, "cost": {}, **({"error": data(error)} if error else {})})


@pytest.mark.parametrize(("result", "strict", "code"), [
    (_result("succeeded"), False, 0),
    (_result("partial"), False, 0),  # a skipped stage: the offline default
    (_result("partial"), True, 6),
    (_result("partial", stage_error="provider"), False, 4),
    (_result("partial", stage_error="config"), False, 3),
    (_result("failed", error="validation"), False, 2),
    (_result("failed", error="internal"), False, 70),
    (_result("timedOut"), False, 5),
    (_result("cancelled"), False, 130),
])
def test_exit_code_of_a_finished_run(result, strict, code):
    assert exit_code(result, strict) == code


def test_strict_makes_an_offline_partial_run_fail(tmp_path):
    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    args = ["run", "review", "a.py", "-w", str(tmp_path), "--json"]
    relaxed = CliRunner().invoke(app, args)
    strict = CliRunner().invoke(app, [*args, "--strict"])
    assert relaxed.exit_code == 0 and "warning: the run is partial" in relaxed.stderr
    assert strict.exit_code == 6 and "error: the run is partial" in strict.stderr


def test_a_failed_run_says_so_on_stderr_with_the_servers_hint():
    from keel.cli.run import outcome_lines

    result = _result("failed", error="config")
    result.error.hint = "Correct .keel/workflows.toml line 3."
    lines = outcome_lines(result, exit_code(result))
    assert lines[0].startswith("error: run r failed (config.x)")
    assert lines[-1] == "fix: Correct .keel/workflows.toml line 3."


def test_a_ctrl_c_before_the_command_ran_still_cancels_and_records_the_run(tmp_path):
    import json
    import os
    import signal

    from keel.cli.interrupt import install_early

    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    previous = signal.getsignal(signal.SIGINT)
    try:
        install_early()  # what run_cli does for `keel run` before importing the app
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the command is still loading
        result = CliRunner().invoke(app, ["run", "review", "a.py", "-w", str(tmp_path), "--json"])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 130, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "cancelled"
    history = CliRunner().invoke(app, ["history", "--json", "-w", str(tmp_path)])
    assert [(r["runId"], r["status"]) for r in json.loads(history.stdout)["runs"]] == [
        (run["runId"], "cancelled")]


def test_keel_run_at_80_columns_never_cuts_a_findings_file_and_line(tmp_path):
    deep = tmp_path / "src" / "requests" / "adapters" / "deeply_nested_package_name"
    deep.mkdir(parents=True)
    (deep / "module_with_a_long_name.py").write_text(
        "import os\n\n\ndef f(x):\n    if x == None:\n        return 1\n")
    result = CliRunner().invoke(app, ["run", "review", "src", "-w", str(tmp_path)],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    where = "src/requests/adapters/deeply_nested_package_name/module_with_a_long_name.py"
    lines = result.stdout.splitlines()
    for line_no in (1, 5):
        assert any(f"{where}:{line_no}" in line for line in lines), result.stdout
    assert "Partly done" in result.stdout and "…" not in result.stdout
