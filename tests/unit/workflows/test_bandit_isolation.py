"""Bandit runs no repository code, and no target size breaks it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from keel.workflows.analyzers.bandit_runner import bandit_command, run_bandit

SHELL_INJECTION = "import subprocess\nsubprocess.call(input(), shell=True)\n"
# Modules bandit's start-up imports (yaml, stevedore, pbr) or that `-m bandit` looks up first.
HOSTILE = ("yaml", "bandit", "stevedore", "pbr")


def plant_hostile_modules(workspace: Path, markers: Path) -> None:
    for name in HOSTILE:
        marker = markers / name
        (workspace / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    # A project .bandit that, if read, would silence B602 and send the report elsewhere.
    (workspace / ".bandit").write_text(f"[bandit]\nskips: B602\noutput: {markers / 'report'}\n")


async def test_a_hostile_workspace_runs_none_of_its_modules_and_bandit_still_reports(
        tmp_path, monkeypatch):
    workspace, markers = tmp_path / "repo", tmp_path / "markers"
    workspace.mkdir()
    markers.mkdir()
    plant_hostile_modules(workspace, markers)
    (workspace / "app.py").write_text(SHELL_INJECTION)
    # The server's own working directory may be the repository too (a hand-started `keel serve`).
    monkeypatch.chdir(workspace)
    # The hostile modules are themselves Python files of the target: bandit reads them, never runs them.
    targets = [workspace / "app.py", *(workspace / f"{name}.py" for name in HOSTILE)]

    issues = await run_bandit(targets)

    assert list(markers.iterdir()) == []
    assert "B602" in {issue.test_id for issue in issues if issue.path.endswith("app.py")}


def test_the_child_runs_isolated_outside_the_workspace(tmp_path):
    command = bandit_command(tmp_path / "targets")
    assert command[:2] == [sys.executable, "-I"]
    assert "-m" not in command  # -m would put the working directory first on sys.path


def test_the_command_line_does_not_grow_with_the_number_of_files(tmp_path):
    assert bandit_command(tmp_path / "targets") == bandit_command(tmp_path / "targets")
    assert len(" ".join(bandit_command(tmp_path / "targets"))) < 4096


async def test_a_target_list_beyond_the_argument_limit_is_checked(tmp_path):
    # Before: every path went on the command line and this failed with
    # `OSError: [Errno 7] Argument list too long`, reported as internal.unexpected.
    deep = tmp_path / ("d" * 240) / ("e" * 240) / ("f" * 240)
    deep.mkdir(parents=True)
    files = []
    for index in range(3000):
        path = deep / f"m{index:04d}_{'x' * 120}.py"
        path.write_text("x = 1\n")
        files.append(path)
    files[-1].write_text(SHELL_INJECTION)
    arg_max = os.sysconf("SC_ARG_MAX") if hasattr(os, "sysconf") else 32_767
    assert sum(len(str(f)) + 1 for f in files) > arg_max  # the old command line could not exist

    issues = await run_bandit(files)

    assert {Path(i.path).name for i in issues if i.test_id == "B602"} == {files[-1].name}


async def test_a_path_with_a_newline_or_a_leading_dash_is_one_target(tmp_path):
    odd = tmp_path / "-r"
    odd.mkdir()
    target = odd / "line\nbreak.py"
    target.write_text(SHELL_INJECTION)
    issues = await run_bandit([target])
    assert {i.path for i in issues if i.test_id == "B602"} == {str(target)}
