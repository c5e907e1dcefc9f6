from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import typer
from typer.testing import CliRunner

from keel.cli.chaos import register


def keel_with_chaos() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """root"""

    register(app)
    return app


def test_register_adds_a_chaos_group_with_serve():
    result = CliRunner().invoke(keel_with_chaos(), ["chaos", "serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--seed", "--fail-rate", "--kinds", "--latency-ms", "--schedule"):
        assert option in result.output


def test_unknown_fault_kind_exits_2_naming_it():
    result = CliRunner().invoke(keel_with_chaos(), ["chaos", "serve", "--kinds", "429,teapot"])
    assert result.exit_code == 2
    assert "unknown fault 'teapot'" in result.output


def test_serve_as_a_subprocess_prints_its_url_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "keel", "chaos", "serve", "--port", "0", "--seed", "4",
         "--schedule", "503", "--loop"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(f"{url}/v1/messages", json={"messages": []}, timeout=10)
        assert response.status_code == 503
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "stopped after 1 requests (503=1)" in stderr
