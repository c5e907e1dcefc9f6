from __future__ import annotations

import anyio
import pytest

from keel.app.ops import OPS
from keel.app.state import KeelApp
from keel.errors import ProviderError
from keel.lsp.dispatch import DispatchError, dispatch
from keel.protocol.health import HealthReport


@pytest.fixture
def app():
    a = KeelApp(worker_pool_size=1)
    yield a
    a.close()


async def test_valid_request_returns_camel_case_json(app):
    result = await dispatch(app, "keel/health", {}, 1)
    assert "uptimeMs" in result and "inFlight" in result


async def test_invalid_params_name_the_field(app):
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/analyze", {"uri": "file:///x.py", "timeoutMs": -1}, 7)
    data = info.value.error.to_error_data(7)
    assert data["code"] == "params.invalid" and data["field"] == "timeoutMs" and data["requestId"] == 7


async def test_deadline_and_keel_errors_and_unexpected_errors_are_mapped(app, monkeypatch):
    async def slow(app, params):
        await anyio.sleep(5)

    async def provider_fails(app, params):
        raise ProviderError("rate limited", code="provider.rate_limited", transient=True)

    async def crashes(app, params):
        raise RuntimeError("/secret/path/in/traceback")

    monkeypatch.setitem(OPS, "keel/health", slow)
    app.apply_settings({"timeouts": {"healthMs": 30}}, "settings")
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/health", {}, 1)
    assert info.value.error.code == "deadline.exceeded"

    monkeypatch.setitem(OPS, "keel/health", provider_fails)
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/health", {}, 2)
    assert info.value.error.to_error_data()["transient"] is True

    monkeypatch.setitem(OPS, "keel/health", crashes)
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/health", {}, 3)
    data = info.value.error.to_error_data(3)
    assert data["errorType"] == "internal" and "/secret" not in info.value.error.message
    assert app.registry.snapshot().total == 0


async def test_health_counts_itself_in_flight(app):
    result = HealthReport.model_validate(await dispatch(app, "keel/health", {}, 1))
    assert result.in_flight.by_method == {"keel/health": 1}


async def test_analysis_down_makes_health_unhealthy(app):
    app.workers.start_error = "cannot start a worker process: out of memory"
    result = HealthReport.model_validate(await dispatch(app, "keel/health", {}, 1))
    analysis = next(c for c in result.components if c.name == "analysis")
    assert analysis.status == "down" and result.level == "unhealthy"
    assert analysis.fix


async def test_logs_carry_the_request_id_and_method(app, capsys, tmp_path):
    import json

    from keel.observability.logging import configure_logging

    log_file = configure_logging("info", log_dir=tmp_path)
    with pytest.raises(DispatchError):
        await dispatch(app, "keel/runs", {"limit": "many"}, "req-42")
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    failed = next(line for line in lines if line.get("event") == "request failed")
    assert failed["request_id"] == "req-42" and failed["method"] == "keel/runs"
    assert failed["code"] == "params.invalid"
