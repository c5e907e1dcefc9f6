"""Before a run: does the estimate's high band fit what is left of every budget?

Pure: the caller brings the estimate's figures and the ledger's totals. The
answer is ``None`` (start the run) or the ``BudgetExceeded`` to answer
``keel/runWorkflow`` with, whose data says what was estimated, what is left,
and what would fit (the cheap tier, or a share of the target).

Confirming (``confirmOverBudget``) starts the run but never lifts the cap: each
model call still reserves before it is sent, so a run that really needs more
than is left ends ``partial`` with the calls beyond the budget skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetLeft, BudgetSettings

from .ledger import Totals, usd_text


@dataclass(frozen=True)
class Band:
    low: float
    expected: float
    high: float


def budget_left(limits: BudgetSettings, totals: Totals) -> BudgetLeft:
    """The figures health, estimates and reports show (a fresh run's view: nothing spent yet)."""
    def left(limit: float | None, spent: float) -> float | None:
        return None if limit is None else round(max(0.0, limit - spent), 6)

    today = left(limits.daily_usd, totals.today)
    month = left(limits.monthly_usd, totals.month)
    for_run = [v for v in (limits.per_run_usd, today, month) if v is not None]
    return BudgetLeft(
        spent_today_usd=round(totals.today, 6), spent_month_usd=round(totals.month, 6),
        reserved_usd=round(totals.reserved, 6), per_run_usd=limits.per_run_usd,
        daily_usd=limits.daily_usd, monthly_usd=limits.monthly_usd, left_today_usd=today,
        left_month_usd=month, left_for_run_usd=min(for_run) if for_run else None)


def check_run(limits: BudgetSettings, totals: Totals, band: Band, *, confirmed: bool,
              cheap_high: float | None) -> BudgetExceeded | None:
    """The refusal to answer with, or None when the run may start."""
    if not limits.limited():
        return None
    figures = budget_left(limits, totals)
    room = figures.left_for_run_usd
    if room is None or band.high <= room + 1e-9:
        return None
    if confirmed and limits.on_exceed == "ask":
        return None
    which = _binding(limits, figures)
    wire = figures.wire()
    would_fit: dict[str, object] = {
        "targetShare": round(room / band.high, 3) if band.high > 0 else None}
    if cheap_high is not None:
        would_fit.update(cheapTierUsd=round(cheap_high, 6), cheapTier=cheap_high <= room + 1e-9)
    ask = limits.on_exceed == "ask"
    return BudgetExceeded(
        f"This run may cost up to {usd_text(band.high)}, more than the {usd_text(room)} left of your "
        f"{_LABELS[which]} budget.",
        hint=("Confirm to run anyway (model calls still stop at the budget), use the cheap "
              "tier, or pick a smaller target." if ask else
              "budgets.onExceed is 'refuse': use the cheap tier, a smaller target, or raise "
              "keel.budgets in your user settings."),
        details={"budget": which, "estimateUsd": {"low": band.low, "expected": band.expected,
                                                  "high": band.high},
                 "limitUsd": getattr(limits, _FIELDS[which]), "leftUsd": room,
                 "spentUsd": {"today": wire["spentTodayUsd"], "month": wire["spentMonthUsd"]},
                 "onExceed": limits.on_exceed, "canConfirm": ask, "wouldFit": would_fit})


_LABELS = {"perRun": "per-run", "daily": "daily", "monthly": "monthly"}
_FIELDS = {"perRun": "per_run_usd", "daily": "daily_usd", "monthly": "monthly_usd"}


def _binding(limits: BudgetSettings, figures: BudgetLeft) -> str:
    """The budget that leaves the least room (the one the run would cross first)."""
    rooms = [(v, name) for v, name in ((limits.per_run_usd, "perRun"),
                                       (figures.left_today_usd, "daily"),
                                       (figures.left_month_usd, "monthly")) if v is not None]
    return min(rooms)[1]
