"""`keel workflows` and `keel run` through typer's CliRunner, with in-process fake providers."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
import typer
from typer.testing import CliRunner

from keel.app.state import KeelApp
from keel.cli import run as run_cli
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.workflows.stages_llm import Resilience

from .workflow_fakes import FakeProvider, _no_wait, _thread_cpu, provider_set

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cli():
    app = typer.Typer()
    run_cli.register(app)
    return app


@pytest.fixture
def fakes(monkeypatch):
    """Make `keel run` build its app with these providers (and no worker processes)."""
    def use(*providers, on_providers_built=None):
        built = provider_set(*providers)

        def factory(settings, env):
            if on_providers_built:
                on_providers_built()
            return built

        def build_app(root):
            return KeelApp(workspace_folders=[root], workspace_trusted=True, provider_factory=factory,
                           run_cpu=_thread_cpu, resilience=Resilience(
                               BreakerRegistry(), BudgetRegistry(), ResponseCache(8), sleep=_no_wait))

        monkeypatch.setattr(run_cli, "build_app", build_app)
    return use


def invoke(cli, workspace, *args):
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace)])


def test_workflows_table(cli, workspace):
    result = invoke(cli, workspace, "workflows")
    assert result.exit_code == 0
    for wid in ("review", "security-audit", "bug-predict", "refactor-plan", "summarize"):
        assert wid in result.output


def test_run_json_succeeds(cli, fakes, workspace):
    fakes(FakeProvider("a"))
    result = invoke(cli, workspace, "run", "review", "buggy.py", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "succeeded" and payload["stages"][2]["provider"] == "a"


def test_run_prints_markdown_report(cli, fakes, workspace):
    fakes(FakeProvider("a"))
    result = invoke(cli, workspace, "run", "review", "buggy.py")
    assert result.exit_code == 0, result.output
    assert "answer from a" in result.output and "Findings" in result.output


def test_offline_run_is_partial_exit_zero_with_warning(cli, fakes, workspace):
    fakes()
    result = invoke(cli, workspace, "run", "review", "buggy.py", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "partial"
    assert "warning: the run is partial" in result.stderr


def test_timeout_exits_5(cli, fakes, workspace):
    fakes(FakeProvider("a", lambda n: "hang"))
    result = invoke(cli, workspace, "run", "review", "buggy.py", "--json", "--timeout-ms", "400")
    assert result.exit_code == 5
    assert json.loads(result.stdout)["status"] == "timedOut"


def test_ctrl_c_cancels_the_run_and_exits_130(cli, fakes, workspace):
    def interrupt_soon():  # providers are built as the run reaches its model stage
        asyncio.get_running_loop().call_later(0.5, signal.raise_signal, signal.SIGINT)

    fakes(FakeProvider("a", lambda n: "hang"), on_providers_built=interrupt_soon)
    result = invoke(cli, workspace, "run", "review", "buggy.py", "--json")
    assert result.exit_code == 130, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "cancelled" and payload["error"]["code"] == "run.cancelled"


def test_unknown_workflow_is_a_validation_error(cli, fakes, workspace):
    fakes()
    result = invoke(cli, workspace, "run", "nope", "buggy.py")
    assert result.exit_code == 2 and "Unknown workflow" in result.stderr


def test_cli_runs_are_saved_to_the_workspace_history(tmp_path):
    from typer.testing import CliRunner

    from keel.storage.paths import database_path
    from keel.storage.reader import HistoryReader

    ws = tmp_path / "hist"
    ws.mkdir()
    (ws / "m.py").write_text("def f(x):\n    return x\n")
    app = typer.Typer()
    run_cli.register(app)
    result = CliRunner().invoke(app, ["run", "summarize", "m.py", "--json", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    runs = HistoryReader(database_path(ws.resolve())).list_runs(10)
    assert [r.workflow for r in runs] == ["summarize"] and runs[0].status == "partial"
