"""keel/report with alerts from settings, the reliability and models health components,
request counting in dispatch, and alerts driven by the chaos provider end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keel.app import model_registry, models_ops, reliability_ops, run_ops
from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.chaos import ChaosServer, Fault, Schedule
from keel.errors import ConfigError
from keel.lsp.dispatch import DispatchError, dispatch
from keel.protocol.history import ReportParams
from keel.protocol.reliability import ValidateModelsParams
from keel.protocol.workflows import RunWorkflowParams
from keel.providers import registry_file
from keel.records import RunRecord
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.workflows.stages_llm import Resilience

pytestmark = pytest.mark.timeout(60)
# Today by the real clock (retention would delete older history), fixed for the test run.
NOW = datetime.now(UTC)


def days_ago(n: int) -> str:
    return (NOW - timedelta(days=n)).date().isoformat()


@pytest.fixture(autouse=True)
def builtin_registry():
    yield
    registry_file.install(None)


@pytest.fixture
async def app(tmp_path: Path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "buggy.py").write_text("def f(x):\n    if x == None:\n        return []\n")
    made = KeelApp(workspace_folders=[workspace], worker_pool_size=1, workspace_trusted=True,
                   env={"ANTHROPIC_API_KEY": "sk-ant-test"})
    made.apply_settings({"storage": {"dir": str(tmp_path / "store")}}, "settings")
    start_storage(made)
    yield made
    made.storage.close(5)
    made.close()


def record_runs(app: KeelApp, statuses: list[str], day: str) -> None:
    recorder = app.storage
    for n, status in enumerate(statuses):
        run = RunRecord(run_id=f"{day}-{n}", workflow="review", target="a.py", status=status,
                        started_at=f"{day}T10:00:00Z")
        recorder.run_started(run)
        recorder.run_finished(run)
    assert recorder.flush(10)


async def test_report_uses_the_alert_thresholds_from_settings(app):
    record_runs(app, ["succeeded"] * 18 + ["timedOut"] * 2, day=days_ago(0))
    report = await reliability_ops.report(app, ReportParams(days=1))
    assert [(a.metric, a.level) for a in report.alerts] == [("timeoutRate", "critical"),
                                                             ("successRate", "warning")]
    app.apply_settings({"storage": app.settings.storage.wire(),
                        "alerts": {"timeoutRate": {"warning": 0.2, "critical": 0.5},
                                   "successRate": {"warning": 0.5, "critical": 0.1}}}, "settings")
    assert (await reliability_ops.report(app, ReportParams(days=1))).alerts == []


async def test_reliability_component_follows_the_recent_window(app):
    record_runs(app, ["timedOut"] * 30, day=days_ago(9))  # outside the 2-day window
    record_runs(app, ["succeeded"] * 20, day=days_ago(0))
    await reliability_ops.refresh_reliability(app, NOW)
    assert app.monitor.component("reliability").status == "ok"
    record_runs(app, ["timedOut"] * 2, day=days_ago(1))  # 2 of 22: warnings only
    await reliability_ops.refresh_reliability(app, NOW)
    component = app.monitor.component("reliability")
    assert component.status == "degraded" and "workflow success rate is 90.9%" in component.detail
    assert "(+1 more)" in component.detail  # the timeout rate, 9.1 %
    assert component.fix and "last 2 days" in component.detail
    record_runs(app, ["failed"] * 10, day=days_ago(0))
    await reliability_ops.refresh_reliability(app, NOW)
    assert app.monitor.component("reliability").status == "down"
    assert app.monitor.level() == "degraded"


async def test_dispatch_counts_each_request_and_its_failure(app):
    await dispatch(app, "keel/health", {}, 1)
    with pytest.raises(DispatchError):
        await dispatch(app, "keel/runs", {"limit": -5}, 2)
    recorder = app.storage
    assert recorder.flush(10)
    report = await reliability_ops.report(app, ReportParams(days=1))
    rates = {m.key: (m.numerator, m.denominator) for m in report.metrics
             if m.id == "requestFailureRate"}
    assert rates == {None: (1, 2), "keel/health": (0, 1), "keel/runs": (1, 1)}


async def test_a_start_with_invalid_settings_counts_as_a_config_error(app):
    app.apply_settings({"providers": "not a list"}, "settings")
    app.reliability_started = False
    task = asyncio.ensure_future(reliability_ops.install_reliability(app))
    try:
        for _ in range(200):
            await asyncio.sleep(0.01)
            if app.monitor.component("models") is not None:
                break
    finally:
        task.cancel()
    assert app.storage.flush(10)
    report = await reliability_ops.report(app, ReportParams(days=1))
    config = next(m for m in report.metrics if m.id == "configErrorRate")
    assert (config.numerator, config.denominator) == (1, 1)


async def test_models_component_and_validate_models_follow_the_registry_file(app, tmp_path):
    good = tmp_path / "ws" / "registry.toml"
    good.write_text('[prices."claude-haiku-4-5"]\ninput_usd_per_mtok = 0.5\n'
                    'output_usd_per_mtok = 2\nchecked = "2026-11-20"\n')
    settings = {"storage": app.settings.storage.wire(),
                "providers": [{"id": "claude", "kind": "anthropic"}],
                "models": {"registryPath": "registry.toml"}}
    app.apply_settings(settings, "settings")
    await model_registry.install_models(app)
    assert app.monitor.component("models").status == "ok"
    report = await models_ops.validate_models(app, ValidateModelsParams())
    assert report.ok and report.registry_path.endswith("registry.toml")
    assert next(e for e in report.entries if e.tier == "cheap").input_usd_per_mtok == 0.5

    good.write_text('[prices."claude-haiku-4-5"]\ninput_usd_per_mtok = -1\n'
                    'output_usd_per_mtok = 2\n')
    await model_registry.refresh_models_component(app)
    component = app.monitor.component("models")
    assert component.status == "degraded" and "not positive" in component.detail

    good.write_text("[prices\n")
    await model_registry.refresh_models_component(app)
    component = app.monitor.component("models")
    assert component.status == "degraded" and "registry file not used" in component.detail
    with pytest.raises(ConfigError):
        await models_ops.validate_models(app, ValidateModelsParams())


async def test_chaos_provider_down_raises_the_fallback_alert(app):
    down = ChaosServer(Schedule.always(Fault.SERVER_ERROR))
    up = ChaosServer()
    await down.start()
    await up.start()
    try:
        app.apply_settings({
            "storage": app.settings.storage.wire(),
            "providers": [{"id": "down", "kind": "anthropic", "baseUrl": down.base_url},
                          {"id": "up", "kind": "anthropic", "baseUrl": up.base_url}],
            "alerts": {"minSamples": 5}}, "settings")

        async def no_wait(seconds: float) -> None:
            return None

        app.resilience = Resilience(
            BreakerRegistry(), BudgetRegistry(), ResponseCache(64), sleep=no_wait)
        for n in range(6):
            result = await run_ops.run_workflow(app, RunWorkflowParams(
                workflow="bug-predict", target="buggy.py", run_id=f"chaos-{n}"))
            assert result.status == "succeeded", result.degraded
        assert app.storage.flush(10)
        report = await reliability_ops.report(app, ReportParams(days=1))
        fallback = next(a for a in report.alerts if a.metric == "fallbackRate")
        assert fallback.level == "critical" and fallback.value > 0.25
        await reliability_ops.refresh_reliability(app)
        assert app.monitor.component("reliability").status == "down"
        assert down.counts[Fault.SERVER_ERROR.value] >= 5
    finally:
        await down.stop()
        await up.stop()


async def test_preflight_has_a_models_check_that_fails_with_the_registry(app):
    from keel.app.health_ops import preflight
    from keel.protocol.health import PreflightParams

    app.apply_settings({"storage": app.settings.storage.wire(), "providers": [
        {"id": "claude", "kind": "anthropic", "models": {"premium": "claude-imaginary"}}]},
        "settings")
    report = await preflight(app, PreflightParams())
    models = next(c for c in report.checks if c.id == "models")
    assert models.status == "fail" and "claude-imaginary" in models.message
    assert report.ok is False
