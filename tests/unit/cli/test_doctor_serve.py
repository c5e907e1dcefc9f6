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
async def test_serve_tcp_listens_on_loopback_only_and_a_hand_started_server_names_its_token_file(tmp_path):
    import asyncio
    import os

    log = tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if k != "KEEL_SERVER_TOKEN"}
    with log.open("w") as sink:  # a file, not a pipe nobody drains
        process = subprocess.Popen([sys.executable, "-m", "keel", "serve", "--tcp", "--port", "0",
                                    "--log-level", "warning"], stderr=sink, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "listening on" not in line and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            line = next((x for x in log.read_text().splitlines() if "listening on" in x), "")
        address, token_file = line.strip().removeprefix("keel: listening on ").split(", token in ")
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        token, modes = token_file_facts(token_file)
        assert token not in log.read_text()  # the file is named, the token is not
        if os.name == "posix":
            assert modes == (0o600, 0o700)
        reader, writer = await asyncio.open_connection(host, int(port))

        def send(message: dict) -> None:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

        async def ask(msg_id: int, method: str, params: dict) -> dict:
            send({"id": msg_id, "method": method, "params": params})
            await writer.drain()
            header = await reader.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            return json.loads(await reader.readexactly(length))

        send({"method": "keel/authenticate", "params": {"token": token}})
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
        assert token_file_facts(token_file) == (None, None)  # removed when the server stops
    finally:
        if process.poll() is None:
            process.kill()


def token_file_facts(name: str) -> tuple[str | None, tuple[int, int] | None]:
    """The token in the file the server named, and the modes of that file and its folder."""
    import stat
    from pathlib import Path

    path = Path(name)
    if not path.exists():
        return None, None
    return path.read_text(), (stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode))


def test_rpc_client_module_is_importable_without_a_server():
    assert KeelClient.spawn
