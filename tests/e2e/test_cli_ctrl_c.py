"""Ctrl-C at a terminal during `keel run`: the run ends `cancelled`, recorded so, exit 130.

A terminal sends SIGINT to the whole foreground process group, workers
included. Each trial starts `keel run` in a process group of its own, waits
for a line on its stderr (``-v``) that says the moment has come, and signals
the group. The model stage talks to a `keel chaos serve` that never answers,
so the run cannot finish by itself before the signal lands.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

KEEL = [sys.executable, "-m", "keel"]

MOMENTS = {
    "command started": "keel run: starting",
    # stderr log lines are plain text: `... INFO keel.cli.run: run event (kind=queued stage=None ...)`
    "run queued": "kind=queued",
    "run started": "kind=started",
    "static stage in a worker": "kind=stageStarted stage=static",
    "bug-pattern stage": "kind=stageStarted stage=bugs",
    "model stage waiting on the provider": "kind=stageStarted stage=review",
}


@pytest.fixture(scope="module")
def hanging_provider():
    process = subprocess.Popen([*KEEL, "chaos", "serve", "--schedule", "hang", "--loop"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read()
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0 and "Traceback" not in err


@pytest.fixture
def project(tmp_path, hanging_provider):
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    for index in range(5):
        (root / "pkg" / f"m{index}.py").write_text(
            "def f(x):\n    if x:\n        return [i for i in range(x)]\n    return None\n")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"providers": [{
        "id": "hung", "kind": "openai", "baseUrl": f"{hanging_provider}/v1",
        "apiKeyEnv": "KEEL_TEST_KEY"}]}))
    env = dict(os.environ, KEEL_TEST_KEY="not-a-secret", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    return root, settings, env


def _interrupt_run(project, marker: str | None) -> tuple[int, dict | None, str]:
    root, settings, env = project
    process = subprocess.Popen(
        [*KEEL, "run", "review", "pkg", "-w", str(root), "--settings", str(settings), "--json", "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=env, process_group=0)
    seen = []
    try:
        if marker is not None:
            for line in process.stderr:
                seen.append(line)
                if marker in line:
                    break
            else:
                pytest.fail(f"never saw {marker!r}:\n{''.join(seen)}")
        os.killpg(process.pid, signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, (json.loads(out) if out.strip() else None), "".join(seen) + rest


def _recorded(project) -> list[tuple[str, str]]:
    root, _, env = project
    done = subprocess.run([*KEEL, "history", "--json", "-w", str(root)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [(r["runId"], r["status"]) for r in json.loads(done.stdout)["runs"]]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c_cancels_the_run_records_it_and_exits_130(project, moment):
    code, result, stderr = _interrupt_run(project, MOMENTS[moment])
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert code == 130, stderr
    assert result is not None and result["status"] == "cancelled"
    assert result["error"]["code"] == "run.cancelled"
    assert _recorded(project) == [(result["runId"], "cancelled")]
    assert "recorded as cancelled" in stderr


@pytest.mark.timeout(120)
def test_ctrl_c_before_keel_has_even_started_leaves_no_traceback(project):
    code, result, stderr = _interrupt_run(project, None)
    assert "Traceback" not in stderr, stderr
    # The interpreter may die of the signal before it can handle it (-2); else it exits 130.
    assert code in (130, -signal.SIGINT)
    assert all(status == "cancelled" for _, status in _recorded(project))


def test_without_v_no_log_lines_reach_stderr(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return x\n")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    quiet = subprocess.run([*KEEL, "run", "review", "a.py", "-w", str(root), "--json"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert not [line for line in quiet.stderr.splitlines() if line.startswith("{")], quiet.stderr
    log = Path(tmp_path / "state" / "keel" / "log" / "keel.log").read_text()
    assert '"event": "run event"' in log  # the lines went to the log file instead
    verbose = subprocess.run([*KEEL, "run", "review", "a.py", "-w", str(root), "--json", "-v"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert [line for line in verbose.stderr.splitlines() if "run event" in line]  # plain lines, not JSON
