"""The budget health component: ok, warning at 80 %, error at 100 %."""

from __future__ import annotations

from keel.protocol.budget import BudgetSettings
from keel.spend.figures import component_status
from keel.spend.gate import budget_left
from keel.spend.ledger import Totals


def test_levels_follow_the_share_of_the_tightest_period_budget():
    limits = BudgetSettings(daily_usd=10.0, monthly_usd=100.0)
    assert component_status(limits, Totals(today=7.9, month=20, reserved=0))[0] == "ok"
    status, detail, fix = component_status(limits, Totals(today=8.0, month=20, reserved=0))
    assert status == "degraded" and "today $8.00 of $10.00 (80%)" in detail and fix
    status, detail, _ = component_status(limits, Totals(today=1, month=100.0, reserved=0))
    assert status == "down" and "this month $100.00 of $100.00 (100%)" in detail


def test_a_per_run_budget_alone_is_ok_and_says_what_was_spent():
    status, detail, _ = component_status(BudgetSettings(per_run_usd=2.0),
                                         Totals(today=0.5, month=1, reserved=0))
    assert (status, detail) == ("ok", "per run $2.00; spent today $0.5000")
    status, detail, _ = component_status(BudgetSettings(per_run_usd=2.0, daily_usd=10.0),
                                         Totals(today=0.5, month=1, reserved=0))
    assert detail == "today $0.5000 of $10.00 (5%); per run $2.00"


def test_budget_left_is_the_least_room_of_every_budget():
    left = budget_left(BudgetSettings(per_run_usd=3.0, daily_usd=10.0, monthly_usd=12.0),
                       Totals(today=2.0, month=10.5, reserved=0.5))
    assert (left.left_today_usd, left.left_month_usd, left.left_for_run_usd) == (8.0, 1.5, 1.5)
    assert left.wire()["spentMonthUsd"] == 10.5 and left.wire()["reservedUsd"] == 0.5
