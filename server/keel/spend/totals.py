"""What the ledger counts and how a refusal reads: totals, one call's charge, the limits' test."""

from __future__ import annotations

from dataclasses import dataclass

from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetSettings

EPSILON = 1e-9  # float sums: a budget met exactly is not crossed


@dataclass(frozen=True)
class Totals:
    """Spend (settled + reserved) of today, this month and one run; ``reserved`` is in flight."""

    today: float
    month: float
    reserved: float
    run: float = 0.0


@dataclass(frozen=True)
class Charge:
    """One call's reservation: who, what, and its worst-case USD."""

    run_id: str
    usd: float
    stage_id: str | None = None
    provider: str | None = None
    model: str | None = None


def over_budget(limits: BudgetSettings, totals: Totals, usd: float) -> str | None:
    """The first budget ``usd`` more would cross ("perRun", "daily", "monthly"), else None."""
    for name, limit, spent in (("perRun", limits.per_run_usd, totals.run),
                               ("daily", limits.daily_usd, totals.today),
                               ("monthly", limits.monthly_usd, totals.month)):
        if limit is not None and spent + usd > limit + EPSILON:
            return name
    return None


def usd_text(usd: float) -> str:
    """Cents for dollars, more digits for the fractions of a cent a single call costs."""
    return f"${usd:,.2f}" if usd >= 1 or usd == 0 else f"${usd:.4f}" if usd >= 0.0001 else f"${usd:.6f}"


def refusal(crossed: str, limits: BudgetSettings, totals: Totals, usd: float,
            *, code: str = "budget.exceeded") -> BudgetExceeded:
    limit = {"perRun": limits.per_run_usd, "daily": limits.daily_usd,
             "monthly": limits.monthly_usd}[crossed]
    spent = {"perRun": totals.run, "daily": totals.today, "monthly": totals.month}[crossed]
    label = {"perRun": "per-run", "daily": "daily", "monthly": "monthly"}[crossed]
    return BudgetExceeded(
        f"Not sent: this model call may cost up to {usd_text(usd)}, and {usd_text(spent)} of "
        f"the {label} budget of {usd_text(limit or 0.0)} is already spent or held.",
        code=code, hint="Raise keel.budgets in your user settings, or run on a cheaper tier.",
        details={"budget": crossed, "limitUsd": limit, "spentUsd": round(spent, 6),
                 "reservationUsd": round(usd, 6)})
