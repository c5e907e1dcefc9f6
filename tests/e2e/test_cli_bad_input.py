"""Every `keel` command with bad input: one clear line, the documented exit code, no traceback.

The commands run through ``keel.cli.run_cli``, the same entry point as the
console script (its last line of defence turns an escaped exception into exit
70, which no case here may reach). A few cases run as real processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from keel.cli import run_cli

PROSE = "# Project\n\nThis is *not* Python: it has words, a colon: and `code`.\n"

BAD_WORKFLOWS_TOML = '[[workflow]]\nid = "mine"\ntitle = "Mine"\n[[workflow.stage]]\nid = 3\n'


@pytest.fixture
def ws(tmp_path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return x\n")
    (root / "README.md").write_text(PROSE)
    (root / "blob.bin").write_bytes(b"\x00\xff\xfe\x00" * 16)
    (root / "bad.json").write_text("{")
    (root / "list.json").write_text("[1, 2]")
    (root / "opnai.json").write_text(json.dumps({"providers": [{"id": "x", "kind": "opnai"}]}))
    broken = tmp_path / "broken"
    (broken / ".keel").mkdir(parents=True)
    (broken / ".keel" / "workflows.toml").write_text(BAD_WORKFLOWS_TOML)
    (tmp_path / "not-a-dir").write_text("a file")
    return root


# (arguments, exit code, a phrase the message must contain). "{ws}" is the workspace folder.
CASES: list[tuple[list[str], int, str]] = [
    (["no-such-command"], 2, "No such command"),
    (["run"], 2, "Missing argument"),
    (["run", "review"], 2, "Missing argument"),
    (["run", "nope", "a.py"], 2, "Unknown workflow 'nope'"),
    (["run", "review", "missing.py"], 2, "target 'missing.py'"),
    (["run", "review", "/"], 2, "-w/--workspace"),
    (["run", "review", "README.md"], 2, "has no input for workflow 'review'"),
    (["run", "review", "a.py", "--settings", "missing.json"], 3, "missing.json: no such file"),
    (["run", "review", "a.py", "--settings", "{ws}/bad.json"], 3, "not valid JSON"),
    (["run", "review", "a.py", "--settings", "{ws}/list.json"], 3, "expected an object"),
    (["run", "review", "a.py", "--timeout-ms", "0"], 2, "at least 1"),
    (["run", "review", "a.py", "--timeout-ms", "soon"], 2, "'--timeout-ms'"),
    (["run", "review", "a.py", "--no-such-option"], 2, "No such option"),
    (["estimate", "nope", "a.py"], 2, "Unknown workflow 'nope'"),
    (["estimate", "review", "missing.py"], 2, "target 'missing.py'"),
    (["estimate", "review", "/"], 2, "-w/--workspace"),
    (["estimate", "review", "a.py", "--settings", "missing.json"], 3, "no such file"),
    (["estimate", "review", "a.py", "--max-file-bytes", "0"], 2, "at least 1"),
    (["doctor", "--settings", "missing.json"], 3, "missing.json: no such file"),
    (["doctor", "--settings", "{ws}/bad.json"], 3, "not valid JSON"),
    (["doctor", "--settings", "{ws}/opnai.json"], 1, "not ready"),
    (["analyze"], 2, "Missing argument"),
    (["analyze", "missing.py"], 2, "No such file"),
    (["analyze", "README.md"], 2, "Not a Python file"),
    (["analyze", "blob.bin"], 2, "blob.bin"),
    (["workflows", "-w", "{ws}/../broken"], 3, "workflows.toml"),
    (["history", "--limit", "0"], 2, "at least 1"),
    (["history", "show", "run-nope"], 2, "No run 'run-nope'"),
    (["history", "show"], 2, "Missing argument"),
    (["history", "--storage-dir", "{ws}/../not-a-dir"], 2, "is a file"),
    (["history", "cleanup", "--days", "0"], 2, "at least 1"),
    (["report", "--days", "0"], 2, "between 1 and 3650"),
    (["report", "--days", "many"], 2, "'--days'"),
    (["models", "--settings", "missing.json"], 3, "missing.json: no such file"),
    (["models", "validate", "--settings", "{ws}/list.json"], 3, "expected an object"),
    (["estimate", "review", "a.py", "--settings", "{ws}/list.json"], 3, "expected an object"),
    (["models", "--no-such-option"], 2, "No such option"),
    (["chaos", "serve", "--kinds", "429,teapot"], 2, "teapot"),
    (["chaos", "serve", "--port", "99999"], 2, "0 to 65535"),
    (["chaos", "serve", "--fail-rate", "2"], 2, "0 to 1"),
]


def _expand(args: list[str], ws: Path) -> list[str]:
    return [a.replace("{ws}", str(ws)) for a in args]


@pytest.mark.parametrize(("args", "code", "phrase"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_gets_one_clear_message_and_the_documented_exit_code(
        args, code, phrase, ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    exit_code = run_cli(_expand(args, ws))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert exit_code != 70, err  # 70 means an exception escaped the command
    assert exit_code == code, out + err
    assert phrase in out + err


@pytest.mark.parametrize("command", [["estimate", "review", "a.py", "--json"],
                                     ["models", "--json"]])
def test_one_bad_setting_in_a_settings_file_is_named_and_the_valid_rest_stays_in_force(
        command, ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    typo = ws / "typo.json"
    typo.write_text(json.dumps({"advisr": {}, "providers": [
        {"id": "x", "kind": "opnai"}, {"id": "kept", "kind": "anthropic"}]}))
    exit_code = run_cli([*command, "--settings", str(typo)])
    out, err = capsys.readouterr()
    assert exit_code == 0, err
    assert "typo.json.advisr: unknown setting (did you mean 'advisor'?); ignored" in err
    assert "typo.json.providers.0.kind" in err and "providers entry 0 ignored" in err
    assert "kept" in json.dumps(json.loads(out))  # the valid provider is still configured


def test_the_matrix_covers_every_command():
    from keel.cli.app import COMMAND_MODULES

    covered = {args[0] for args, _, _ in CASES}
    assert covered >= (set(COMMAND_MODULES) - {"serve"}) | {"workflows", "report"}


@pytest.mark.parametrize(("args", "phrase"), [
    (["serve", "--tcp", "--port", "many"], "is not a port number"),
    (["serve", "--port", "8000"], "--port needs --tcp"),
    (["serve", "--log-level", "loud"], "invalid choice"),
    (["doctor", "--settings", "missing.json"], "no such file"),
])
def test_a_real_process_prints_no_traceback(args, phrase, tmp_path):
    done = subprocess.run([sys.executable, "-m", "keel", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode in (2, 3), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert phrase in done.stderr


def test_an_unexpected_exception_is_one_line_exit_70_and_the_traceback_goes_to_the_log(
        monkeypatch, capsys, tmp_path):
    from keel.cli import doctor as doctor_module

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor_module, "read_settings_file", explode)
    assert run_cli(["doctor", "-w", str(tmp_path)]) == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "RuntimeError: boom" in err and "bug in Keel" in err
