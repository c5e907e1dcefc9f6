"""End to end: initialize, health, preflight, errors, shutdown/exit against `keel serve`."""

from __future__ import annotations

import asyncio

import pytest

from keel.protocol.methods import method_names

from .helpers import error_data, initialize, request, request_error

pytestmark = pytest.mark.timeout(60)


async def test_initialize_advertises_keel_methods(lsp, workspace):
    result = await initialize(lsp, workspace)
    keel = result.capabilities.experimental["keel"]
    assert keel["version"] == 1
    assert set(keel["methods"]) == set(method_names())
    assert "keel/health" in keel["methods"] and "keel/runEvent" in keel["methods"]


async def test_health_reports_components_and_in_flight(lsp, workspace):
    await initialize(lsp, workspace)
    report = await request(lsp, "keel/health")
    assert report["level"] == "healthy"
    names = {c["name"] for c in report["components"]}
    assert {"config", "storage", "analysis"} <= names
    assert report["inFlight"]["byMethod"] == {"keel/health": 1}
    assert report["version"]


async def test_preflight_runs_real_checks(lsp, workspace):
    await initialize(lsp, workspace)
    report = await request(lsp, "keel/preflight", {"network": False})
    ids = [c["id"] for c in report["checks"]]
    assert ids[:6] == ["python", "packages", "settings", "storage", "providers", "trust"]
    assert report["ok"] is True
    assert all(isinstance(c["durationMs"], int) for c in report["checks"])


async def test_bad_params_name_the_field(lsp, workspace):
    await initialize(lsp, workspace)
    exc = await request_error(lsp, "keel/preflight", {"network": "yes please"})
    assert exc.code == -32602
    data = error_data(exc)
    assert data["errorType"] == "validation" and data["code"] == "params.invalid"
    assert data["field"] == "network"
    exc = await request_error(lsp, "keel/runs", {"limit": 5, "bogus": 1})
    assert exc.code == -32602 and error_data(exc)["field"] == "bogus"
    assert "Traceback" not in exc.message


async def test_unknown_method_is_32601(lsp, workspace):
    await initialize(lsp, workspace)
    exc = await request_error(lsp, "keel/doesNotExist")
    assert exc.code == -32601
    report = await request(lsp, "keel/health")  # still serving
    assert report["level"] == "healthy"


async def test_invalid_settings_degrade_config_and_show_one_message(lsp, workspace):
    message = asyncio.ensure_future(lsp.wait_for_notification("window/showMessage"))
    await initialize(lsp, workspace, {"settings": {"providers": [{"id": "x", "kind": "gemini"}]}})
    shown = await asyncio.wait_for(message, 10)
    assert "providers.0.kind" in shown.message
    report = await request(lsp, "keel/health")
    config = next(c for c in report["components"] if c["name"] == "config")
    assert config["status"] == "degraded" and "providers.0.kind" in config["detail"]
    assert report["level"] == "degraded"


async def test_requests_after_shutdown_get_invalid_request(lsp, workspace):
    await initialize(lsp, workspace)
    await lsp.shutdown_async(None)
    exc = await request_error(lsp, "keel/health")
    assert exc.code == -32600
    lsp.exit(None)
    code = await asyncio.wait_for(lsp._server.wait(), 10)
    assert code == 0


async def test_provider_components_and_health_changed_push(lsp, workspace, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a regular file")
    settings = {
        "providers": [{"id": "claude", "kind": "anthropic", "apiKeyEnv": "KEEL_E2E_ABSENT_KEY"}],
        "storage": {"dir": str(blocked / "sub")},
    }
    pushed = asyncio.ensure_future(lsp.wait_for_notification("keel/healthChanged"))
    await initialize(lsp, workspace, {"settings": settings})
    report = await request(lsp, "keel/health")
    components = {c["name"]: c for c in report["components"]}
    assert components["provider:claude"]["status"] == "disabled"
    assert "KEEL_E2E_ABSENT_KEY" in components["provider:claude"]["detail"]
    pushed_report = await asyncio.wait_for(pushed, 15)
    while pushed_report["level"] == "healthy":  # pushes are coalesced; the storage one follows
        pushed_report = await asyncio.wait_for(lsp.wait_for_notification("keel/healthChanged"), 15)
    assert pushed_report["level"] == "degraded"
    assert any(c["name"] == "storage" and c["status"] == "down" for c in pushed_report["components"])
    for _ in range(50):  # the storage writer reports from its own thread
        report = await request(lsp, "keel/health")
        storage = next(c for c in report["components"] if c["name"] == "storage")
        if storage["status"] != "ok":
            break
        await asyncio.sleep(0.1)
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
    await initialize(lsp, workspace, {"settings": settings})
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
    assert next(c for c in report["components"] if c["name"] == "config")["status"] == "degraded"
    lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"keel": {"timeouts": {"healthMs": 4000}}}))
    for _ in range(50):
        report = await request(lsp, "keel/health")
        if next(c for c in report["components"] if c["name"] == "config")["status"] == "ok":
            break
        await asyncio.sleep(0.05)
    assert report["level"] == "healthy"
