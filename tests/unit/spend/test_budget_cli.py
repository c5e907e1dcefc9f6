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


def test_keel_report_shows_spend_against_the_budgets_of_its_settings(tmp_path):
    from datetime import UTC, datetime

    from keel.cli import history
    from keel.protocol.budget import BudgetSettings
    from keel.records import RunRecord
    from keel.spend.ledger import Charge, Ledger
    from keel.storage import StorageRecorder, database_path

    workspace, store = tmp_path / "ws", tmp_path / "store"
    workspace.mkdir()
    recorder = StorageRecorder(database_path(workspace, store))
    run = RunRecord(run_id="r1", workflow="review", target="a.py", status="succeeded",
                    started_at=datetime.now(UTC).isoformat(), actual_usd=1.25)
    recorder.run_started(run)
    recorder.run_finished(run)
    assert recorder.close(10)
    ledger = Ledger(store / "spend.db")
    ledger.settle(ledger.reserve(Charge("r1", 2.0), BudgetSettings()), 1.25)
    ledger.close()
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"budgets": {"dailyUsd": 5.0, "perRunUsd": 2.0}}))
    cli = typer.Typer()
    history.register(cli)
    args = ["report", "-w", str(workspace), "--storage-dir", str(store)]
    out = CliRunner().invoke(cli, [*args, "--settings", str(settings)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "spent today (all workspaces)" in out.output and "$1.2500 of $5.0000" in out.output
    assert "per-run budget" in out.output
    as_json = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert as_json["budget"]["spentTodayUsd"] == 1.25 and "dailyUsd" not in as_json["budget"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"budgets": {"dailyUsd": -1}}))
    # A bad budget is named and ignored alone (settings degrade per field); the report still runs.
    warned = CliRunner().invoke(cli, [*args, "--settings", str(bad)])
    assert warned.exit_code == 0 and "warning: bad.json.budgets.dailyUsd" in warned.output
