"""`keel serve` refuses arguments and inputs it cannot serve with one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from keel.cli.serve import serve_main


@pytest.mark.parametrize(("argv", "said"), [
    (["--tcp", "--port", "99999"], "99999 is not a port"),
    (["--tcp", "--port", "-1"], "-1 is not a port"),
    (["--tcp", "--port", "abc"], "'abc' is not a port number"),
    (["--port", "5000"], "--port needs --tcp"),
])
def test_bad_port_arguments_are_usage_errors(argv, said, capsys):
    with pytest.raises(SystemExit) as info:
        serve_main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_serve_with_stdin_from_dev_null_says_why_and_exits():
    with open("/dev/null", "rb") as devnull:
        done = subprocess.run([sys.executable, "-m", "keel", "serve"], stdin=devnull,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "stdin is a device" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_serve_help_describes_every_option():
    done = subprocess.run([sys.executable, "-m", "keel", "serve", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    for option in ("--stdio", "--tcp", "--port", "--clientProcessId", "--log-level"):
        assert option in done.stdout
    assert "Also show this level" in done.stdout


def test_a_native_crash_leaves_every_threads_stack_in_crash_log(tmp_path):
    crash = ("from keel.cli.serve import _record_native_crashes\n"
             "_record_native_crashes()\n"
             "import ctypes\nctypes.string_at(0)\n")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode != 0
    logs = list((tmp_path / "state").rglob("crash.log"))
    assert len(logs) == 1 and "Segmentation fault" in logs[0].read_text()
    assert "Fatal Python error" not in done.stderr  # not on the editor's Output channel


def test_stdio_starts_the_workers_fork_server_before_anything_heavy_loads(tmp_path):
    # Issue 22: the fork server's warm-up runs beside the whole of the server's loading; started
    # after asyncio and structlog it was exec'd ~250 ms after spawn instead of ~40.
    script = ("import json, sys\n"
              "order = []\n"
              "class Watch:\n"
              "    @staticmethod\n"
              "    def find_spec(name, path=None, target=None):\n"
              "        if name in ('asyncio', 'structlog', 'pydantic', 'keel.lsp.early'):\n"
              "            order.append(name)\n"
              "sys.meta_path.insert(0, Watch)\n"
              "from keel.app import bootstrap\n"
              "from keel.cli.serve import serve_main\n"
              "bootstrap.start_analysis_workers = lambda: order.append('workers') or False\n"
              "code = serve_main(['--stdio'])\n"  # stdin at EOF: the server ends at once
              "open(sys.argv[1], 'w').write(json.dumps({'order': order, 'code': code}))\n")
    seen_file = tmp_path / "seen.json"
    done = subprocess.run([sys.executable, "-I", "-c", script, str(seen_file)], input="",
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(seen_file.read_text())
    assert seen["code"] == 0 and seen["order"][0] == "workers" and "keel.lsp.early" in seen["order"]


def test_tcp_starts_the_workers_fork_server_before_the_server_loads(monkeypatch):
    # As on stdio (the fast start): the engine warms in the fork server meanwhile.
    from keel.app import bootstrap
    from keel.lsp.tcp_token import TOKEN_ENV
    from keel.observability import logging as keel_logging

    class Stop(Exception):
        pass

    order: list[str] = []

    def create_app(**kwargs):
        order.append("app")
        raise Stop

    monkeypatch.setattr(bootstrap, "start_analysis_workers", lambda: order.append("workers") or True)
    monkeypatch.setattr(bootstrap, "create_app", create_app)
    monkeypatch.setattr(keel_logging, "configure_logging", lambda level: order.append("logging"))
    monkeypatch.setenv(TOKEN_ENV, "t" * 64)  # given: no token file is written
    with pytest.raises(Stop):
        serve_main(["--tcp"])
    assert order == ["workers", "logging", "app"]


def test_a_pydantic_plugin_installed_beside_keel_never_runs_in_its_processes(tmp_path):
    # Hostile: any distribution in Keel's environment may declare a `pydantic` entry point;
    # pydantic would import it into the server (and each worker) at its first validator.
    site = tmp_path / "site"
    (site / "sneaky-1.0.dist-info").mkdir(parents=True)
    (site / "sneaky-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: sneaky\nVersion: 1.0\n")
    (site / "sneaky-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nsneaky = sneaky_plugin:plugin\n")
    ran = tmp_path / "ran"
    (site / "sneaky_plugin.py").write_text(f"open({str(ran)!r}, 'w').write('ran')\n"
                                           "class Plugin:\n"
                                           "    def new_schema_validator(self, *args, **kwargs):\n"
                                           "        return None, None, None\n"
                                           "plugin = Plugin()\n")
    target = tmp_path / "a.py"
    target.write_text("def f(x=[]):\n    return x\n")
    code = ("import os, sys\n"
            f"sys.path.insert(0, {str(site)!r})\n"
            "os.environ['PYDANTIC_DISABLE_PLUGINS'] = ''\n"  # the editor's environment may say anything
            "{run}")
    direct = code.format(run=("from keel.protocol import AnalyzeParams\n"
                              "AnalyzeParams.model_validate({'uri': 'file:///a.py'})\n"))
    loaded = subprocess.run([sys.executable, "-I", "-c", direct], capture_output=True, text=True,
                            timeout=60, check=False)
    assert loaded.returncode == 0, loaded.stderr
    assert ran.exists()  # the entry point is real: pydantic loads it outside the keel command
    ran.unlink()
    command = code.format(run=f"from keel.cli import main\nmain(['analyze', '--json', {str(target)!r}])\n")
    analysed = subprocess.run([sys.executable, "-I", "-c", command], capture_output=True, text=True,
                              timeout=60, check=False)
    assert "mutable-default-argument" in analysed.stdout, analysed.stderr
    assert not ran.exists()
