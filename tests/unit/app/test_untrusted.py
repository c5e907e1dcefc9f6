"""Untrusted means nothing leaves, whatever the client does.

A chaos provider is configured, with a key, in every test; the only difference
is ``workspace_trusted``. Untrusted, it must receive no request (so no code and
no key); trusted, the same call reaches it (the test would notice a refusal
that is really a broken provider).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keel.app import advisor_ops, models_ops, provider_health, run_ops, services
from keel.app.health_ops import preflight
from keel.app.state import KeelApp
from keel.chaos import ChaosServer, Schedule
from keel.errors import Untrusted
from keel.protocol.advisor import AnalyzeParams, GenerateFixParams
from keel.protocol.health import PreflightParams
from keel.protocol.reliability import ValidateModelsParams
from keel.protocol.workflows import RunWorkflowParams

pytestmark = pytest.mark.timeout(60)

KEY = "sk-ant-untrusted-test-0123456789"
SOURCE = ("import os\n\n\ndef combine(a, b, c, d, e, f, g):\n"
          "    return a + b + c + d + e + f + g\n\n\ndef f(x):\n    if x == None:\n        return []\n")
REPLY = "```python\ndef combine(*values):\n    return sum(values)\n```\n"


@pytest.fixture
async def chaos_reply():
    async with ChaosServer(Schedule(reply_text=REPLY)) as server:
        yield server


def make_app(tmp_path: Path, chaos: ChaosServer, trusted: bool) -> KeelApp:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "m.py").write_text(SOURCE)
    app = KeelApp(workspace_folders=[workspace], worker_pool_size=1, workspace_trusted=trusted,
                  env={"ANTHROPIC_API_KEY": KEY})
    app.apply_settings({"storage": {"dir": str(tmp_path / "store")},
                        "providers": [{"id": "chaos", "kind": "anthropic",
                                       "baseUrl": chaos.base_url}]}, "settings")
    return app


async def finding(app: KeelApp, rule: str) -> str:
    uri = (app.workspace_root / "m.py").as_uri()
    result = await advisor_ops.analyze(app, AnalyzeParams(uri=uri))
    return next(f.id for f in result.findings if f.rule == rule)


@pytest.mark.parametrize("trusted", [False, True])
async def test_generate_fix_sends_nothing_from_an_untrusted_workspace(tmp_path, chaos_reply, trusted):
    app = make_app(tmp_path, chaos_reply, trusted)
    try:
        uri = (app.workspace_root / "m.py").as_uri()
        params = GenerateFixParams(uri=uri, finding_id=await finding(app, "too-many-parameters"))
        if trusted:
            fix = await advisor_ops.generate_fix(app, params)
            assert fix.source == "llm" and chaos_reply.requests_total == 1
            return
        with pytest.raises(Untrusted) as refused:
            await advisor_ops.generate_fix(app, params)
        assert refused.value.code == "trust.untrusted" and not refused.value.transient
        data = refused.value.to_error_data()
        assert data["errorType"] == "unavailable" and "Trust the workspace" in data["hint"]
        assert chaos_reply.requests_total == 0
    finally:
        app.close()


async def test_rule_fixes_still_work_untrusted(tmp_path, chaos_reply):
    app = make_app(tmp_path, chaos_reply, trusted=False)
    try:
        uri = (app.workspace_root / "m.py").as_uri()
        params = GenerateFixParams(uri=uri, finding_id=await finding(app, "unused-import"))
        fix = await advisor_ops.generate_fix(app, params)
        assert fix.source == "rule" and chaos_reply.requests_total == 0
    finally:
        app.close()


@pytest.mark.parametrize("trusted", [False, True])
async def test_a_run_skips_its_model_stages_in_an_untrusted_workspace(tmp_path, chaos_reply, trusted):
    app = make_app(tmp_path, chaos_reply, trusted)
    try:
        result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="bug-predict",
                                                                   target="m.py"))
    finally:
        app.close()
    llm = [s for s in result.stages if s.tier is not None]
    assert llm, "bug-predict has a model stage"
    if trusted:
        assert chaos_reply.requests_total > 0
        assert all(s.status == "succeeded" for s in llm)
        return
    assert chaos_reply.requests_total == 0
    assert result.status == "partial" and result.error is None
    assert all(s.status == "skipped" and "not trusted" in (s.note or "") for s in llm)
    # The skip is typed, so the client can offer Manage Workspace Trust; not a failure.
    assert all(s.skip is not None and (s.skip.reason, s.skip.code)
               == ("restrictedMode", "trust.untrusted") for s in llm)
    assert result.offline_by_design and result.report.status_text == "Partly done"
    assert all(s.status == "succeeded" for s in result.stages if s.tier is None)  # static ones ran
    assert result.report.findings  # and their findings are reported


@pytest.mark.parametrize("trusted", [False, True])
async def test_run_says_beforehand_which_stages_restricted_mode_skips(tmp_path, chaos_reply,
                                                                      trusted):
    from keel.app import cost_ops
    from keel.protocol.cost import EstimateCostParams
    from keel.protocol.workflows import ListWorkflowsParams

    app = make_app(tmp_path, chaos_reply, trusted)
    try:
        listed = await run_ops.list_workflows(app, ListWorkflowsParams())
        estimate = await cost_ops.estimate_cost(app, EstimateCostParams(workflow="bug-predict",
                                                                        target="m.py"))
    finally:
        app.close()
    assert listed.workspace_trusted is trusted
    stages = [s for w in listed.workflows for s in w.stages]
    assert {s.kind for s in stages} == {"static", "llm"}
    estimated = [s for s in estimate.stages if s.tier is not None]
    assert estimated
    if trusted:
        assert all(s.skip is None for s in stages) and all(s.skip is None for s in estimated)
        return
    for stage in stages:
        assert (stage.skip is not None) is (stage.kind == "llm")
    assert all(s.skip is not None and s.skip.reason == "restrictedMode" for s in estimated)
    assert all(s.skip is None for s in estimate.stages if s.tier is None)


@pytest.mark.parametrize("trusted", [False, True])
async def test_validate_models_with_network_probes_nothing_untrusted(tmp_path, chaos_reply, trusted):
    app = make_app(tmp_path, chaos_reply, trusted)
    try:
        report = await models_ops.validate_models(app, ValidateModelsParams(network=True))
    finally:
        app.close()
    if trusted:
        assert chaos_reply.counts["models"] >= 1
        return
    assert chaos_reply.requests_total == 0
    served = next(c for c in report.checks if c.id == "models.served")
    assert served.status == "warn" and "not trusted" in served.message


async def connection_counter() -> tuple[asyncio.Server, list[int]]:
    connections: list[int] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    return server, connections


@pytest.mark.parametrize("trusted", [False, True])
async def test_preflight_with_network_opens_no_connection_untrusted(tmp_path, chaos_reply, trusted):
    listener, connections = await connection_counter()
    port = listener.sockets[0].getsockname()[1]
    app = make_app(tmp_path, chaos_reply, trusted)
    app.apply_settings({"storage": app.settings.storage.wire(), "providers": [
        {"id": "listener", "kind": "anthropic", "baseUrl": f"http://127.0.0.1:{port}"}]}, "settings")
    try:
        report = await preflight(app, PreflightParams(network=True))
    finally:
        app.close()
        listener.close()
        await listener.wait_closed()
    checks = {c.id: c for c in report.checks}
    if trusted:
        assert connections and "network:listener" in checks
        return
    assert connections == []
    assert checks["network"].status == "warn" and "not trusted" in checks["network"].message


def test_untrusted_providers_hold_no_client_and_no_key(tmp_path):
    app = KeelApp(workspace_trusted=False, env={"ANTHROPIC_API_KEY": KEY})
    app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"},
                                      {"id": "local", "kind": "openai",
                                       "baseUrl": "http://127.0.0.1:9/v1"}]}, "settings")
    try:
        lease = services.provider_lease(app)
        assert lease.providers.untrusted and [p.kind for p in lease.providers.providers] == ["offline"]
        assert KEY not in repr(lease.providers.__dict__)
        provider_health.refresh_provider_components(app)
        component = app.monitor.component("provider:a")
        assert component.status == "disabled" and "not trusted" in component.detail
    finally:
        app.close()


async def test_an_injected_provider_factory_is_not_used_untrusted(tmp_path, chaos_reply):
    built: list[object] = []

    def factory(settings, env):
        built.append(settings)
        raise AssertionError("a provider was built for an untrusted workspace")

    app = make_app(tmp_path, chaos_reply, trusted=False)
    app.provider_factory = factory
    try:
        assert services.provider_lease(app).providers.untrusted and built == []
    finally:
        app.close()
