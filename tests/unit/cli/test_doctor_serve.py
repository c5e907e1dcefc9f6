"""The CLI's own commands: doctor's table and exit codes, `keel serve --tcp` on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from keel.cli.app import app
from keel.rpc_client import KeelClient


def test_doctor_passes_on_a_clean_workspace(tmp_path):
    result = CliRunner().invoke(app, ["doctor", "--workspace", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert {c["id"] for c in report["checks"]} >= {"python", "packages", "settings", "storage"}


def test_doctor_fails_with_a_fix_for_an_invalid_setting(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"storage": {"dir": str(tmp_path / "file.txt" / "sub")}}))
    (tmp_path / "file.txt").write_text("not a folder")
    args = ["doctor", "--workspace", str(tmp_path), "--settings", str(settings)]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 1 and "not ready" in table.stdout
    report = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    storage = next(c for c in report["checks"] if c["id"] == "storage")
    assert report["ok"] is False and storage["status"] == "fail"
    assert "keel.storage.dir" in storage["fix"]


def test_version_flag():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("keel ")


@pytest.mark.timeout(60)
async def test_serve_tcp_listens_on_loopback_only(tmp_path):
    import asyncio

    log = tmp_path / "stderr.txt"
    with log.open("w") as sink:  # a file, not a pipe nobody drains
        process = subprocess.Popen([sys.executable, "-m", "keel", "serve", "--tcp", "--port", "0",
                                    "--log-level", "warning"], stderr=sink)
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "listening on" not in line and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            line = next((x for x in log.read_text().splitlines() if "listening on" in x), "")
        host_port = line.strip().rsplit(" ", 1)[-1]
        host, port = host_port.rsplit(":", 1)
        assert host == "127.0.0.1"
        reader, writer = await asyncio.open_connection(host, int(port))
        async def ask(msg_id: int, method: str, params: dict) -> dict:
            body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            header = await reader.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            return json.loads(await reader.readexactly(length))

        # initialize first: a request before it is refused with -32002 (LSP)
        assert "result" in await ask(0, "initialize", {"processId": None, "capabilities": {},
                                                        "rootUri": tmp_path.as_uri()})
        reply = await ask(1, "keel/health", {})
        assert reply["id"] == 1 and reply["result"]["version"]
        writer.close()
        for _ in range(300):  # the client left: the server exits
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_rpc_client_module_is_importable_without_a_server():
    assert KeelClient.spawn
