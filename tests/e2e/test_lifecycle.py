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
