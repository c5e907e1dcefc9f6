"""`keel serve` refuses arguments and inputs it cannot serve with one line and exit 2."""

from __future__ import annotations

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
