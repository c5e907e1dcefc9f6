"""End to end: a model-proposed fix for a finding that has no rule-based fix."""

from __future__ import annotations

import pytest

from keel.chaos import ChaosServer
from keel.chaos.schedule import Schedule

from .helpers import error_data, initialize, on_shared_server, request, request_error

pytestmark = pytest.mark.timeout(90)

MANY_PARAMS = "def combine(a, b, c, d, e, f, g):\n    return a + b + c + d + e + f + g\n\n\nX = 1\n"
REPLY = ("Here is the fix:\n```python\ndef combine(*values):\n    return sum(values)\n```\n")


async def _finding(lsp, path, rule):
    result = await request(lsp, "keel/analyze", {"uri": path.as_uri()})
    return next(f for f in result["findings"] if f["rule"] == rule)


async def test_llm_fix_replaces_the_enclosing_function(lsp, workspace, monkeypatch):
    async with ChaosServer(Schedule(reply_text=REPLY)) as chaos:
        settings = {"providers": [{"id": "local", "kind": "openai", "baseUrl": chaos.openai_base_url}]}
        await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": True})
        path = workspace / "params.py"
        path.write_text(MANY_PARAMS)
        finding = await _finding(lsp, path, "too-many-parameters")
        assert finding["fixable"] is False
        proposal = await request(lsp, "keel/generateFix", {"uri": path.as_uri(), "findingId": finding["id"]})
    assert proposal["source"] == "llm" and proposal["provider"] == "local"
    (edit,) = proposal["edits"]
    assert edit["range"]["start"] == {"line": 0, "character": 0}
    assert edit["range"]["end"] == {"line": 2, "character": 0}
    assert edit["newText"] == "def combine(*values):\n    return sum(values)\n"


async def test_llm_fix_that_does_not_parse_is_refused(lsp, workspace):
    async with ChaosServer(Schedule(reply_text="```python\ndef combine(:\n```")) as chaos:
        settings = {"providers": [{"id": "local", "kind": "openai", "baseUrl": chaos.openai_base_url}]}
        await initialize(lsp, workspace, {"settings": settings, "workspaceTrusted": True})
        path = workspace / "params.py"
        path.write_text(MANY_PARAMS)
        finding = await _finding(lsp, path, "too-many-parameters")
        exc = await request_error(lsp, "keel/generateFix", {"uri": path.as_uri(), "findingId": finding["id"]})
    assert exc.code == -32803 and error_data(exc)["code"] == "provider.bad_response"


@on_shared_server
async def test_without_a_provider_a_non_mechanical_fix_is_unavailable(shared):
    lsp, path = shared.lsp, shared.workspace / "params.py"
    path.write_text(MANY_PARAMS)
    finding = await _finding(lsp, path, "too-many-parameters")
    exc = await request_error(lsp, "keel/generateFix", {"uri": path.as_uri(), "findingId": finding["id"]})
    data = error_data(exc)
    assert exc.code == -32803 and data["errorType"] == "unavailable"
    assert data["code"] == "provider.none_configured"
