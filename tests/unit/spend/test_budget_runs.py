"""Budgets in real runs: the review stage's model call goes through the ledger."""

from __future__ import annotations

import pytest

from keel.app import budget_health, cost_ops, reliability_ops, run_ops
from keel.app.budget_gate import capped_workflow
from keel.app.state import KeelApp
from keel.errors import BudgetExceeded, InvalidInput, exit_code_for, jsonrpc_code
from keel.protocol.cost import EstimateCostParams
from keel.protocol.history import ReportParams
from keel.protocol.workflows import RunWorkflowParams
from keel.records import MemoryRecorder
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.spend.guard import SpendGuard
from keel.spend.ledger import Ledger, usd_text
from keel.workflows.definitions import BUILTIN_WORKFLOWS
from keel.workflows.stages_llm import Resilience

from ..workflows.workflow_fakes import (
    BUGGY,
    FakeProvider,
    RecordingNotifier,
    _no_wait,
    _thread_cpu,
    provider_set,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def make_app(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "buggy.py").write_text(BUGGY)
    (root / "other.py").write_text("# another file, so no cached answer fits it\n" + BUGGY)
    apps: list[KeelApp] = []

    def make(provider, budgets: dict | None = None) -> KeelApp:
        built = provider_set(provider)
        # The estimator prices with the settings' providers and the environment's keys.
        app = KeelApp(env={"ANTHROPIC_API_KEY": "sk-test"}, notifier=RecordingNotifier(), workspace_folders=[root],
                      workspace_trusted=True, provider_factory=lambda settings, env: built,
                      run_cpu=_thread_cpu, recorder=MemoryRecorder())
        app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"}],
                            "storage": {"dir": str(tmp_path / "store")},
                            "budgets": budgets or {}}, "settings")
        guard = SpendGuard(lambda: tmp_path / "store", lambda: app.settings.budgets)
        app.resilience = Resilience(BreakerRegistry(), BudgetRegistry(), ResponseCache(8),
                                    sleep=_no_wait, spend=guard)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def params(target: str = "buggy.py", **kw) -> RunWorkflowParams:
    return RunWorkflowParams(workflow="review", target=target, **kw)


async def test_a_tiny_run_budget_sends_nothing_and_the_run_is_partial(make_app):
    provider = FakeProvider("a")
    app = make_app(provider, {"perRunUsd": 0.000001})
    result = await run_ops.run_workflow(app, params(confirmOverBudget=True))
    assert provider.requests == []
    review = result.stages[2]
    assert review.status == "skipped" and "skipped: budget (Not sent" in review.note
    assert review.error is not None and review.error.code == "budget.exceeded"
    assert result.status == "partial"
    assert any(r.startswith("review:") and "budget" in r for r in result.degraded)
    [call] = app.recorder.calls
    assert (call.outcome, call.error_code) == ("refused", "budget.exceeded")
    [(stage, reserved, reason)] = app.resilience.spend.ledger().refusals(result.run_id)
    assert stage == "review" and reserved > 0.000001 and reason == "budget.perRun"


async def test_spend_of_earlier_runs_counts_against_the_daily_budget(make_app):
    provider = FakeProvider("a")
    app = make_app(provider)
    first = await run_ops.run_workflow(app, params())
    assert first.status == "succeeded" and len(provider.requests) == 1
    spent = app.resilience.spend.ledger().totals().today
    assert spent == pytest.approx(first.cost.actual_usd) and spent > 0
    app.apply_settings({"storage": app.settings.storage.model_dump(by_alias=True),
                        "budgets": {"dailyUsd": spent * 1.5}}, "settings")
    second = await run_ops.run_workflow(app, params("other.py", confirmOverBudget=True))
    assert len(provider.requests) == 1 and second.stages[2].status == "skipped"
    assert second.status == "partial"


async def test_a_run_whose_estimate_exceeds_the_budget_is_refused_before_it_starts(make_app):
    provider = FakeProvider("a")
    app = make_app(provider, {"perRunUsd": 0.000001})
    with pytest.raises(BudgetExceeded) as caught:
        await run_ops.run_workflow(app, params(runId="r-over"))
    error = caught.value
    assert provider.requests == [] and app.recorder.finished == []
    data = error.to_error_data()
    assert (data["code"], data["errorType"], data["runId"]) == ("budget.exceeded",
                                                                 "unavailable", "r-over")
    assert jsonrpc_code(error) == -32803 and exit_code_for(error) == 6
    assert data["budget"] == "perRun" and data["limitUsd"] == 0.000001
    assert data["estimateUsd"]["high"] >= data["estimateUsd"]["expected"] > 0
    assert data["canConfirm"] is True and data["onExceed"] == "ask"
    assert data["wouldFit"]["cheapTier"] is False and data["wouldFit"]["cheapTierUsd"] > 0
    assert data["spentUsd"] == {"today": 0, "month": 0}
    [(_stage, reserved, reason)] = app.resilience.spend.ledger().refusals("r-over")
    assert reserved == data["estimateUsd"]["high"] and reason == "before run: budget.perRun"


async def test_refuse_mode_ignores_the_confirmation(make_app):
    provider = FakeProvider("a")
    app = make_app(provider, {"dailyUsd": 0.000001, "onExceed": "refuse"})
    with pytest.raises(BudgetExceeded) as caught:
        await run_ops.run_workflow(app, params(confirmOverBudget=True))
    assert caught.value.details["canConfirm"] is False and provider.requests == []


async def test_a_run_that_fits_starts_without_asking(make_app):
    provider = FakeProvider("a")
    app = make_app(provider, {"perRunUsd": 5.0, "dailyUsd": 10.0})
    result = await run_ops.run_workflow(app, params())
    assert result.status == "succeeded" and len(provider.requests) == 1


def test_the_cheap_tier_option_caps_every_model_stage():
    workflow = BUILTIN_WORKFLOWS["review"]
    capped = capped_workflow(workflow, "cheap")
    assert {s.tier for s in capped.stages if s.tier} == {"cheap"}
    assert [s.id for s in capped.stages] == [s.id for s in workflow.stages]
    assert capped_workflow(capped, "premium") == capped  # a cap never raises a tier


async def test_an_unknown_tier_option_is_invalid_input_naming_the_field(make_app):
    app = make_app(FakeProvider("a"))
    with pytest.raises(InvalidInput) as caught:
        await run_ops.run_workflow(app, params(options={"tier": "gold"}))
    assert caught.value.details["field"] == "options.tier"


async def test_the_estimate_carries_the_budget_left_beside_its_band(make_app):
    app = make_app(FakeProvider("a"), {"dailyUsd": 2.0, "perRunUsd": 0.5})
    estimate = await cost_ops.estimate_cost(app, EstimateCostParams(workflow="review",
                                                                    target="buggy.py"))
    assert estimate.budget is not None
    assert estimate.wire()["budget"]["leftForRunUsd"] == 0.5
    assert estimate.budget.left_today_usd == 2.0 and estimate.budget.spent_today_usd == 0
    app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"}]}, "settings")
    plain = await cost_ops.estimate_cost(app, EstimateCostParams(workflow="review",
                                                                 target="buggy.py"))
    assert plain.budget is None and "budget" not in plain.wire()


async def test_no_budget_set_means_no_budget_component_and_no_ledger_opened(make_app, tmp_path):
    app = make_app(FakeProvider("a"))
    await budget_health.refresh_budget(app)
    assert app.monitor.component("budget") is None
    assert not (tmp_path / "store" / "spend.db").exists()  # start-up opens nothing it needs not
    app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"}],
                        "storage": app.settings.storage.model_dump(by_alias=True),
                        "budgets": {"monthlyUsd": 10.0}}, "settings")
    await budget_health.refresh_budget(app)
    assert app.monitor.component("budget").status == "ok"
    app.apply_settings({"storage": app.settings.storage.model_dump(by_alias=True)}, "settings")
    await budget_health.refresh_budget(app)
    assert app.monitor.component("budget") is None


async def test_health_and_report_show_spend_against_the_budget(make_app):
    provider = FakeProvider("a")
    app = make_app(provider, {"dailyUsd": 100.0})
    await budget_health.refresh_budget(app)
    component = app.monitor.component("budget")
    assert component.status == "ok" and "today $0.00 of $100.00 (0%)" in component.detail
    result = await run_ops.run_workflow(app, params())
    spent = result.cost.actual_usd
    # the settlement itself updated the component, without waiting for a refresh
    assert f"today {usd_text(spent)} of $100.00" in app.monitor.component("budget").detail
    app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"}],
                        "storage": app.settings.storage.model_dump(by_alias=True),
                        "budgets": {"dailyUsd": spent * 1.1}}, "settings")
    await budget_health.refresh_budget(app)
    assert app.monitor.component("budget").status == "degraded"
    app.apply_settings({"providers": [{"id": "a", "kind": "anthropic"}],
                        "storage": app.settings.storage.model_dump(by_alias=True),
                        "budgets": {"dailyUsd": spent}}, "settings")
    await budget_health.refresh_budget(app)
    assert app.monitor.component("budget").status == "down"
    usage = await reliability_ops.report(app, ReportParams(days=1))
    assert usage.budget is not None and usage.budget.spent_today_usd == pytest.approx(spent)
    assert usage.budget.left_today_usd == 0


async def test_a_run_opens_its_lease_from_its_estimate_and_gives_it_back_at_its_end(make_app,
                                                                                    tmp_path):
    provider = FakeProvider("a")
    app = make_app(provider, {"dailyUsd": 100.0})
    events: list[tuple] = []

    class Spy(Ledger):
        def open_run(self, run_id, limits, want_usd):
            events.append(("open", run_id, want_usd > 0))
            return super().open_run(run_id, limits, want_usd)

        def try_hold(self, charge, limits):
            hold = super().try_hold(charge, limits)
            events.append(("held in memory", hold is not None))
            return hold

        def reserve(self, charge, limits):
            events.append(("reserve", charge.run_id))
            return super().reserve(charge, limits)

        def release(self, run_id):
            events.append(("release", run_id))
            return super().release(run_id)

    app.resilience.spend = SpendGuard(lambda: tmp_path / "store", lambda: app.settings.budgets,
                                      ledger_factory=Spy)
    result = await run_ops.run_workflow(app, params())
    assert result.status == "succeeded" and len(provider.requests) == 1
    assert events == [("open", result.run_id, True), ("held in memory", True),
                      ("release", result.run_id)]
    seen = Ledger(tmp_path / "store" / "spend.db").totals()  # another window, after the run
    assert seen.reserved == 0 and seen.today == pytest.approx(result.cost.actual_usd)


async def test_with_no_budget_a_later_run_opens_its_lease_from_the_last_call(make_app, tmp_path):
    provider = FakeProvider("a")
    app = make_app(provider)
    opened: list[float] = []

    class Spy(Ledger):
        def open_run(self, run_id, limits, want_usd):
            opened.append(want_usd)
            return super().open_run(run_id, limits, want_usd)

        def reserve(self, charge, limits):
            opened.append(-1.0)  # a call that had to go to the file
            return super().reserve(charge, limits)

    app.resilience.spend = SpendGuard(lambda: tmp_path / "store", lambda: app.settings.budgets,
                                      ledger_factory=Spy)
    first = await run_ops.run_workflow(app, params())
    assert opened == [-1.0]  # the process's first call: nothing to size a lease from
    second = await run_ops.run_workflow(app, params("other.py"))
    assert len(opened) == 2 and opened[1] > 0  # opened before the call, which held in memory
    seen = Ledger(tmp_path / "store" / "spend.db").totals()
    assert seen.reserved == 0
    assert seen.today == pytest.approx(first.cost.actual_usd + second.cost.actual_usd)
