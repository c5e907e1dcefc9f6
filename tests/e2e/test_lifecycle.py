"""End to end: initialize, health, preflight, errors, shutdown/exit against `keel serve`."""

from __future__ import annotations

import asyncio

import pytest

from keel.protocol.methods import method_names

from .helpers import (
    component,
    error_data,
    initialize,
    on_shared_server,
    plain,
    poll_until,
    request,
    request_error,
    until_serving,
)

pytestmark = pytest.mark.timeout(60)


@on_shared_server
async def test_initialize_advertises_keel_methods(shared):
    keel = shared.initialized.capabilities.experimental["keel"]
    assert keel["version"] == 1
    assert set(keel["methods"]) == set(method_names())
    assert "keel/health" in keel["methods"] and "keel/runEvent" in keel["methods"]


async def test_health_reports_components_and_in_flight(lsp, workspace):
    # A fresh server: the shared one's `reliability` component counts other tests' failed requests.
    await initialize(lsp, workspace)
    report = await request(lsp, "keel/health")
    assert report["level"] == "healthy", report["components"]
    names = {c["name"] for c in report["components"]}
    assert {"config", "storage", "analysis"} <= names
    assert report["inFlight"]["byMethod"] == {"keel/health": 1}
    assert report["version"]


@on_shared_server
async def test_preflight_runs_real_checks(shared):
    report = await request(shared.lsp, "keel/preflight", {"network": False})
    ids = [c["id"] for c in report["checks"]]
    assert ids[:6] == ["python", "packages", "settings", "storage", "providers", "trust"]
    assert report["ok"] is True
    assert all(isinstance(c["durationMs"], int) for c in report["checks"])


@on_shared_server
async def test_bad_params_name_the_field(shared):
    exc = await request_error(shared.lsp, "keel/preflight", {"network": "yes please"})
    assert exc.code == -32602
    data = error_data(exc)
    assert data["errorType"] == "validation" and data["code"] == "params.invalid"
    assert data["field"] == "network"
    exc = await request_error(shared.lsp, "keel/runs", {"limit": 5, "bogus": 1})
    assert exc.code == -32602 and error_data(exc)["field"] == "bogus"
    assert "Traceback" not in exc.message


@on_shared_server
async def test_unknown_method_is_32601(shared):
    exc = await request_error(shared.lsp, "keel/doesNotExist")
    assert exc.code == -32601
    report = await request(shared.lsp, "keel/health")  # still serving
    assert report["version"] and component(report, "config")["status"] == "ok"


async def test_invalid_settings_degrade_config_and_show_one_message(lsp, workspace):
    message = asyncio.ensure_future(lsp.wait_for_notification("window/showMessage"))
    await initialize(lsp, workspace, {"settings": {
        "providers": [{"id": "x", "kind": "gemini"},
                      {"id": "kept", "kind": "anthropic", "apiKeyEnv": "KEEL_E2E_ABSENT_KEY"}],
        "advisr": {"diagnostics": False}}})
    shown = await asyncio.wait_for(message, 10)
    assert "providers.0.kind" in shown.message and "other settings are in force" in shown.message
    report = await request(lsp, "keel/health")
    config = component(report, "config")
    assert config["status"] == "degraded" and "providers.0.kind" in config["detail"]
    assert "advisr: unknown setting (did you mean 'advisor'?)" in config["detail"]
    assert report["level"] == "degraded"
    # The typo cost nothing else: the valid provider is configured and checked.
    assert any(c["name"] == "provider:kept" for c in report["components"]), report["components"]


async def test_requests_after_shutdown_get_invalid_request(lsp, workspace):
    await initialize(lsp, workspace)
    await lsp.shutdown_async(None)
    exc = await request_error(lsp, "keel/health")
    assert exc.code == -32600
    lsp.exit(None)
    code = await asyncio.wait_for(lsp._server.wait(), 10)
    assert code == 0


def storage_is_down(report: dict) -> bool:
    return any(c["name"] == "storage" and c["status"] == "down" for c in report["components"])


async def test_provider_components_and_health_changed_push(lsp, workspace, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a regular file")
    settings = {
        "providers": [{"id": "claude", "kind": "anthropic", "apiKeyEnv": "KEEL_E2E_ABSENT_KEY"}],
        "storage": {"dir": str(blocked / "sub")},
    }
    pushed: list[dict] = []

    @lsp.feature("keel/healthChanged")
    def on_health_changed(params) -> None:
        pushed.append(plain(params))

    await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": True})
    report = await request(lsp, "keel/health")
    components = {c["name"]: c for c in report["components"]}
    assert components["provider:claude"]["status"] == "disabled"
    assert "KEEL_E2E_ABSENT_KEY" in components["provider:claude"]["detail"]
    # Pushes are coalesced; the one after the storage writer's failed open reports it.
    down = await poll_until(lambda: [p for p in pushed if storage_is_down(p)], bool,
                            "a keel/healthChanged push reports storage down")
    assert down[0]["level"] == "degraded"
    report = await poll_until(lambda: request(lsp, "keel/health"),
                              lambda health: component(health, "storage")["status"] != "ok",
                              "the storage writer thread reports its failed open")
    storage = component(report, "storage")
    assert storage["status"] == "down" and "not writable" in storage["detail"]
    assert str(tmp_path) not in storage["detail"]  # no absolute path outside the workspace
    assert "keel.storage.dir" in storage["fix"]
    assert report["level"] == "degraded"


async def test_preflight_network_reports_an_unreachable_endpoint(lsp, workspace):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again on exit: nothing listens there
    settings = {"providers": [{"id": "local", "kind": "openai", "baseUrl": f"http://127.0.0.1:{port}/v1"}]}
    await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": True})
    report = await request(lsp, "keel/preflight", {"network": True})
    network = next(c for c in report["checks"] if c["id"] == "network:local")
    assert network["status"] == "fail" and str(port) in network["message"]
    assert report["ok"] is False


async def test_did_change_configuration_applies_and_recovers(lsp, workspace):
    from lsprotocol import types

    await initialize(lsp, workspace)
    message = asyncio.ensure_future(lsp.wait_for_notification("window/showMessage"))
    lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"keel": {"timeouts": {"healthMs": "soon"}}}))
    shown = await asyncio.wait_for(message, 10)
    assert "timeouts.healthMs" in shown.message
    report = await request(lsp, "keel/health")
    assert component(report, "config")["status"] == "degraded"
    lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"keel": {"timeouts": {"healthMs": 4000}}}))
    report = await poll_until(lambda: request(lsp, "keel/health"),
                              lambda health: component(health, "config")["status"] == "ok",
                              "the corrected settings are applied")
    assert report["level"] == "healthy"


# --- started the way editors start servers; gone after exit; one TCP client; readable logs


def live_descendants(pid: int) -> set[int]:
    from keel.lsp.watchdog import descendants, running

    return {child for child in descendants(pid) if running(child)}


async def spawn(tmp_path, *args: str, stderr=None):
    import sys

    from keel.rpc_client import KeelClient

    from .helpers import server_env

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "keel", "serve", *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=stderr or asyncio.subprocess.DEVNULL,
        env=server_env(tmp_path), limit=2**24)
    return KeelClient(process)


@pytest.mark.parametrize("form", ["equals", "separate"])
async def test_serve_takes_the_arguments_vscode_languageclient_appends(tmp_path, workspace, form):
    import sys

    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(600)")
    pid_args = [f"--clientProcessId={parent.pid}"] if form == "equals" else ["--clientProcessId", str(parent.pid)]
    client = await spawn(tmp_path, "--stdio", *pid_args)
    try:
        await client.initialize(str(workspace))  # no processId here: only the argument names the editor
        assert (await until_serving(lambda: client.request("keel/health")))["version"]
        parent.kill()
        await parent.wait()
        assert await asyncio.wait_for(client.process.wait(), 30) is not None
    finally:
        if client.process.returncode is None:
            client.process.kill()
        if parent.returncode is None:
            parent.kill()


async def test_after_exit_the_whole_process_tree_is_gone_even_with_work_in_flight(tmp_path, workspace):
    client = await spawn(tmp_path)
    try:
        await client.initialize(str(workspace))
        tree = await poll_until(lambda: live_descendants(client.process.pid), lambda tree: len(tree) >= 2,
                                "the fork server and at least one warm worker are running")
        big = workspace / "big.py"
        big.write_text("".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(20000)))
        busy = [client.send_request("keel/analyze", {"uri": big.as_uri()})[1] for _ in range(3)]
        busy.append(client.send_request("keel/estimateCost", {"workflow": "review", "target": "."})[1])
        tree |= live_descendants(client.process.pid)
        await client.request("shutdown", None)
        client.notify("exit", None)
        assert await asyncio.wait_for(client.process.wait(), 30) == 0
        from keel.lsp.watchdog import running

        await poll_until(lambda: {pid for pid in tree if running(pid)}, lambda alive: not alive,
                         "every process of the server's tree is gone")
        for future in busy:
            future.cancel()
    finally:
        if client.process.returncode is None:
            client.process.kill()


async def test_tcp_serves_one_client_and_refuses_a_second(tmp_path, workspace):
    from .tcp import TcpClient, closed_unanswered, start_tcp_server

    token = "lifecycle-token-0123456789abcdef"
    server = await start_tcp_server(tmp_path, token)
    try:
        first = await TcpClient.connect(server.port, token)
        await first.request(1, "initialize", {"processId": None, "rootUri": workspace.as_uri(),
                                              "capabilities": {}})
        ids = iter(range(100, 10_000))
        await until_serving(lambda: first.answer(next(ids), "keel/health"))
        second = await TcpClient.connect(server.port, token)  # even with the token: one client
        second.send(2, "keel/health")
        assert await closed_unanswered(second.reader)
        assert "result" in await first.request(3, "keel/health")  # the first client is unaffected
        second.close()
    finally:
        await server.stop()


async def test_stderr_carries_readable_lines_not_json(tmp_path, workspace):
    client = await spawn(tmp_path, stderr=asyncio.subprocess.PIPE)
    try:
        await client.initialize(str(workspace))
        await until_serving(lambda: client.request("keel/health"))
        client.write_raw(b"this is not a header\r\nContent-Length: 5\r\n\r\n{oops")
        assert (await client.request("keel/health"))["version"]
        assert await client.shutdown() == 0
        lines = (await client.process.stderr.read()).decode().splitlines()
        assert lines and not any(line.lstrip().startswith("{") for line in lines)
        assert any("WARNING keel.lsp.transport: unparsable message body" in line for line in lines)
        assert not any(" INFO " in line for line in lines)
    finally:
        if client.process.returncode is None:
            client.process.kill()
