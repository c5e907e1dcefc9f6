"""The demo walks through real use in readable text, and setup skips installs when nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ["== Start", "== Health", "== Refactor Advisor", "== Cost estimate", "== Workflow run",
            "== Cancel", "== History", "== What to try next"]


def section(output: str, title: str) -> str:
    start = output.index(f"== {title}")
    end = output.find("\n== ", start + 1)
    return output[start:] if end < 0 else output[start:end]


def test_demo_prints_each_section_in_plain_text(tmp_path):
    # conftest gives this process its own XDG_* dirs; the child inherits them.
    done = subprocess.run([sys.executable, str(REPO / "scripts/demo_client.py"), str(tmp_path / "ws")],
                          capture_output=True, text=True, timeout=110, env=dict(os.environ))
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "Traceback" not in output + done.stderr
    for heading in SECTIONS:
        assert heading in output, heading
    lines = output.splitlines()
    assert not [line for line in lines if line.strip()[:1] in "{[\"" and line.strip()], "raw JSON in the output"
    assert "\x1b[" not in output, "colour codes when stdout is not a terminal"
    assert len(lines) < 120
    assert "mutable-default-argument" in section(output, "Refactor Advisor")
    run = section(output, "Workflow run")
    assert "stageStarted  static" in run and "stageFinished static" in run and "finished" in run
    assert "report:" in run and "is-literal" in run
    assert "cancelRun answered cancelled=True status=cancelled" in section(output, "Cancel")
    history = section(output, "History")
    assert "cancelled" in history and "partial" in history
    assert "keel analyze" in section(output, "What to try next")


def fake_checkout(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """A copy of setup.sh in a folder whose python, pip and npm only log what they were asked to do."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts/setup.sh", repo / "scripts/setup.sh")
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "package-lock.json").write_text("{}\n")
    log = tmp_path / "calls.log"
    tools = tmp_path / "bin"
    tools.mkdir()
    fake_python = f"""#!/bin/sh
if [ "$1" = "--version" ]; then echo "Python 3.99.0"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
echo "python $*" >> {log}
case "$*" in *-e*) printf '#!/bin/sh\\n' > .venv/bin/keel && chmod +x .venv/bin/keel;; esac
"""
    (tools / "python3").write_text(fake_python)
    (tools / "npm").write_text(f"#!/bin/sh\necho \"npm $*\" >> {log}\nmkdir -p node_modules\n")
    for tool in tools.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "PYTHON": "python3"}
    return repo, env, log


def setup(repo: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(repo / "scripts/setup.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_setup_skips_installs_until_an_input_changes(tmp_path):
    repo, env, log = fake_checkout(tmp_path)
    first = setup(repo, env)
    assert "installing keel[dev]" in first and "installing node modules" in first
    installs = log.read_text()
    assert "install --quiet -e .[dev]" in installs and "npm ci" in installs

    second = setup(repo, env)
    assert "python environment up to date" in second and "node modules up to date" in second
    assert log.read_text() == installs, "the second run installed something"

    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    third = setup(repo, env)
    assert "installing keel[dev]" in third and "node modules up to date" in third

    (repo / ".venv/bin/keel").unlink()  # an interrupted install leaves no entry point
    assert "installing keel[dev]" in setup(repo, env)
