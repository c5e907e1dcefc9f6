"""End to end: keel/report's reliability figures and keel/validateModels on the real `keel serve`,
with the chaos server as the provider (and its models list)."""

from __future__ import annotations

import pytest

from keel.chaos import ChaosServer

from .helpers import error_data, initialize, poll_until, request, request_error

pytestmark = pytest.mark.timeout(90)


async def health_with(client, *names: str) -> dict:
    """keel/health once every named component is installed (they appear after initialized)."""
    health = await poll_until(lambda: request(client, "keel/health", {}),
                              lambda health: {*names} <= {c["name"] for c in health["components"]},
                              f"keel/health lists the components {names}")
    return {c["name"]: c for c in health["components"]}


def failures_by_method(report: dict) -> dict:
    return {m.get("key"): (m["numerator"], m["denominator"])
            for m in report["metrics"] if m["id"] == "requestFailureRate"}


async def test_report_counts_requests_and_validate_models_asks_the_provider(lsp, workspace):
    async with ChaosServer() as chaos:
        chaos.served_models = ["gpt-4o-mini", "gpt-4.1"]
        settings = {"providers": [{
            "id": "chaos", "kind": "openai", "baseUrl": chaos.openai_base_url,
            "models": {"cheap": "gpt-4o-mini", "capable": "gpt-4.1", "premium": "o3"}}]}
        await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": True})
        components = await health_with(lsp, "models", "reliability")
        assert components["models"]["status"] == "ok"
        assert components["reliability"]["status"] == "ok"

        models = await request(lsp, "keel/validateModels", {"network": True})
        served = next(c for c in models["checks"] if c["id"] == "models.served:chaos")
        assert served["status"] == "fail" and "'o3'" in served["message"]
        assert models["ok"] is False and chaos.counts["models"] == 1

        failed = await request_error(lsp, "keel/runs", {"limit": 0})
        assert error_data(failed)["code"] == "params.invalid"
        # The recorder writes in its own thread: wait until it has counted the failed request.
        report = await poll_until(lambda: request(lsp, "keel/report", {"days": 1}),
                                  lambda report: "keel/runs" in failures_by_method(report),
                                  "keel/report counts the failed keel/runs request")
        by_method = failures_by_method(report)
        assert by_method["keel/runs"] == (1, 1)
        assert by_method["keel/validateModels"] == (0, 1)
        starts = next(m for m in report["metrics"] if m["id"] == "configErrorRate")
        assert (starts["numerator"], starts["denominator"]) == (0, 1)
        assert "premium-tier" in report["baselineDefinition"]
