"""`keel run` over a budget: exit 6 off a terminal, --yes confirms, a yes on the terminal reruns."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from keel.app.state import KeelApp
from keel.cli import budget as budget_cli
from keel.cli import run as run_cli
from keel.errors import BudgetExceeded
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.workflows.stages_llm import Resilience

from ..workflows.workflow_fakes import BUGGY, FakeProvider, _no_wait, _thread_cpu, provider_set

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "buggy.py").write_text(BUGGY)
    provider = FakeProvider("a")
    built = provider_set(provider)
    apps: list[KeelApp] = []

    def build_app(where):
        app = KeelApp(env={"ANTHROPIC_API_KEY": "sk-test"}, workspace_folders=[where],
                      workspace_trusted=True, provider_factory=lambda s, e: built,
                      run_cpu=_thread_cpu, resilience=Resilience(
                          BreakerRegistry(), BudgetRegistry(), ResponseCache(8), sleep=_no_wait))
        apps.append(app)
        return app

    monkeypatch.setattr(run_cli, "build_app", build_app)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"providers": [{"id": "a", "kind": "anthropic"}],
                                    "storage": {"dir": str(tmp_path / "store")},
                                    "budgets": {"perRunUsd": 0.000001}}))
    cli = typer.Typer()
    run_cli.register(cli)

    def invoke(*extra):
        return CliRunner().invoke(cli, ["run", "review", "buggy.py", "-w", str(root),
                                        "--settings", str(settings), *extra])
    return invoke, provider, apps


def test_off_a_terminal_an_over_budget_run_is_refused_with_exit_6(setup):
    invoke, provider, apps = setup
    result = invoke()
    assert result.exit_code == 6, result.output
    assert "budget: This run may cost up to" in result.output
    assert "perRun budget $0.0000, left $0.0000" in result.output
    assert "on the cheap tier" in result.output and provider.requests == []
    assert len(apps) == 1  # nothing was rerun


def test_yes_starts_the_run_and_the_cap_still_holds(setup):
    invoke, provider, _apps = setup
    result = invoke("--yes")
    assert provider.requests == []  # the tiny cap refused the one model call
    assert "skipped: budget" in result.output and result.exit_code == 6


def test_a_yes_on_the_terminal_reruns_confirmed(setup, monkeypatch):
    invoke, provider, apps = setup
    asked: list[BudgetExceeded] = []
    monkeypatch.setattr(run_cli, "confirm_over_budget", lambda e: asked.append(e) or True)
    result = invoke()
    assert len(asked) == 1 and len(apps) == 2  # refused, asked, run again confirmed
    assert "skipped: budget" in result.output


def test_only_a_terminal_is_asked():
    error = BudgetExceeded("over", details={"canConfirm": True, "estimateUsd": {"high": 1.0}})
    assert budget_cli.confirm_over_budget(error, interactive=False) is False
    refuse = BudgetExceeded("over", details={"canConfirm": False})
    assert budget_cli.confirm_over_budget(refuse, interactive=True) is False
