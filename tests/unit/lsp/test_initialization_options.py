"""initializationOptions are read with the InitializationOptions model; bad ones degrade, named."""

from __future__ import annotations

import pytest

from keel.app.state import KeelApp
from keel.settings import load_initialization_options
from tests.robustness.harness import InProcessServer
from tests.unit.app.test_list_workflows import USER

pytestmark = pytest.mark.timeout(60)


def test_valid_options_are_read_by_the_model():
    loaded = load_initialization_options(
        {"workspaceTrusted": False, "clientName": "vscode", "settings": {"logLevel": "debug"},
         "newerOption": 1})
    assert loaded.problem is None
    assert (loaded.options.workspace_trusted, loaded.options.client_name) == (False, "vscode")
    assert loaded.raw_settings == {"logLevel": "debug"}


@pytest.mark.parametrize(("raw", "problem", "trusted", "client"), [
    ({"workspaceTrusted": "yes", "clientName": "vscode"},
     "initializationOptions.workspaceTrusted: Input should be a valid boolean", False, "vscode"),
    ({"clientName": 7}, "initializationOptions.clientName: Input should be a valid string", False, None),
    (["not", "an", "object"], "initializationOptions: expected an object, got list", False, None),
])
def test_an_invalid_option_falls_back_and_is_named(raw, problem, trusted, client):
    loaded = load_initialization_options(raw)
    assert loaded.problem is not None and loaded.problem.startswith(problem)
    assert (loaded.options.workspace_trusted, loaded.options.client_name) == (trusted, client)


async def test_initialize_with_bad_options_answers_and_names_each_problem(tmp_path):
    server = InProcessServer(KeelApp(worker_pool_size=1))
    try:
        answer = await server.ask(1, "initialize", {
            "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": {"workspaceTrusted": "maybe", "settings": "not an object"}})
        assert "result" in answer
        warnings = [m["params"]["message"] for m in server.out.messages
                    if m.get("method") == "window/showMessage"]
        assert any("initializationOptions.workspaceTrusted" in w for w in warnings)
        assert any("initializationOptions.settings: expected an object" in w for w in warnings)
        assert server.app.workspace_trusted is False
        assert server.app.monitor.component("config").status == "degraded"
        assert "result" in await server.ask(2, "keel/health")
    finally:
        await server.close()


@pytest.mark.parametrize("options", [None, {}, {"clientName": "some-client"}],
                         ids=["no options", "empty options", "options without workspaceTrusted"])
def test_a_missing_workspace_trusted_means_untrusted(options):
    loaded = load_initialization_options(options)
    assert loaded.problem is None
    assert loaded.options.workspace_trusted is False
    assert KeelApp.__dataclass_fields__["workspace_trusted"].default is False


@pytest.mark.parametrize(("options", "trusted"), [({}, False), ({"workspaceTrusted": True}, True)],
                         ids=["without workspaceTrusted", "with workspaceTrusted true"])
async def test_initialize_without_workspace_trusted_reports_untrusted_and_ignores_the_workspace_workflows(
        tmp_path, options, trusted):
    (tmp_path / ".keel").mkdir()
    (tmp_path / ".keel" / "workflows.toml").write_text(USER)  # defines the workflow "docs"
    server = InProcessServer(KeelApp(worker_pool_size=1))
    try:
        answer = await server.ask(1, "initialize", {
            "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": options})
        assert "result" in answer
        preflight = (await server.ask(2, "keel/preflight", {"network": False}))["result"]
        trust = next(check for check in preflight["checks"] if check["id"] == "trust")
        assert trust["status"] == ("pass" if trusted else "warn")
        listed = (await server.ask(3, "keel/listWorkflows"))["result"]["workflows"]
        assert ("docs" in [w["id"] for w in listed]) is trusted
        estimate = await server.ask(4, "keel/estimateCost", {"workflow": "docs", "target": "."})
        assert ("result" in estimate) is trusted
    finally:
        await server.close()
