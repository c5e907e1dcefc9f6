"""End to end: an untrusted workspace sends nothing to a provider, whatever the client asks."""

from __future__ import annotations

import pytest

from keel.chaos import ChaosServer
from keel.chaos.schedule import Schedule

from .helpers import error_data, initialize, request, request_error

pytestmark = pytest.mark.timeout(120)

MANY_PARAMS = "def combine(a, b, c, d, e, f, g):\n    return a + b + c + d + e + f + g\n"
REPLY = "```python\ndef combine(*values):\n    return sum(values)\n```\n"


async def a_finding_to_fix(lsp, workspace, chaos, trusted: bool):
    """The server initialised with the chaos provider, and a too-many-parameters finding."""
    settings = {"providers": [{"id": "local", "kind": "openai", "baseUrl": chaos.openai_base_url}]}
    await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": trusted})
    path = workspace / "params.py"
    path.write_text(MANY_PARAMS)
    analysis = await request(lsp, "keel/analyze", {"uri": path.as_uri()})
    return path, next(f for f in analysis["findings"] if f["rule"] == "too-many-parameters")


async def test_an_untrusted_workspace_calls_no_model_whatever_the_client_asks(lsp, workspace):
    async with ChaosServer(Schedule(reply_text=REPLY)) as chaos:
        path, finding = await a_finding_to_fix(lsp, workspace, chaos, trusted=False)
        fix = await request_error(lsp, "keel/generateFix",
                                  {"uri": path.as_uri(), "findingId": finding["id"]})
        listed = await request(lsp, "keel/listWorkflows", {})
        estimate = await request(lsp, "keel/estimateCost", {"workflow": "bug-predict",
                                                            "target": "params.py"})
        run = await request(lsp, "keel/runWorkflow", {"workflow": "bug-predict", "target": "params.py"})
        models = await request(lsp, "keel/validateModels", {"network": True})
        checks = await request(lsp, "keel/preflight", {"network": True})
        received = chaos.requests_total

    assert received == 0
    data = error_data(fix)
    assert fix.code == -32803 and data["code"] == "trust.untrusted" and data["transient"] is False
    assert "Trust the workspace" in data["hint"]
    assert run["status"] == "partial"
    llm = [s for s in run["stages"] if s.get("tier")]
    assert llm and all(s["status"] == "skipped" and "not trusted" in s["note"] for s in llm)
    # Typed on the wire, before and after Run: the client can offer Manage Workspace Trust.
    assert all(s["skip"]["reason"] == "restrictedMode" and s["skip"]["code"] == "trust.untrusted"
               for s in llm)
    assert run["offlineByDesign"] is True and run["report"]["statusText"] == "Partly done"
    assert listed["workspaceTrusted"] is False
    assert all(("skip" in s) == (s["kind"] == "llm") for w in listed["workflows"]
               for s in w["stages"])
    assert [s["skip"]["reason"] for s in estimate["stages"] if s.get("tier")] == ["restrictedMode"]
    served = next(c for c in models["checks"] if c["id"] == "models.served")
    assert served["status"] == "warn" and "not trusted" in served["message"]
    assert next(c for c in checks["checks"] if c["id"] == "network")["status"] == "warn"


async def test_a_trusted_workspace_still_gets_its_model_fix(lsp, workspace):
    async with ChaosServer(Schedule(reply_text=REPLY)) as chaos:
        path, finding = await a_finding_to_fix(lsp, workspace, chaos, trusted=True)
        fix = await request(lsp, "keel/generateFix", {"uri": path.as_uri(), "findingId": finding["id"]})
        assert fix["source"] == "llm" and chaos.requests_total == 1
