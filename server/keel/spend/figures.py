"""The ``budget`` health component and the report's lines: spent against each budget set."""

from __future__ import annotations

from keel.protocol.budget import BudgetSettings
from keel.protocol.health import ComponentStatus

from .ledger import Totals, usd_text

COMPONENT = "budget"
WARN_AT = 0.8  # share of a budget spent (or held) that turns the component degraded


def component_status(limits: BudgetSettings,
                     totals: Totals) -> tuple[ComponentStatus, str, str | None]:
    """(status, detail, fix): ok below 80 % of every period budget, degraded from 80 %, down
    at 100 % (model calls are refused until the period turns)."""
    parts = period_lines(limits, totals)
    per_run = f"per run {usd_text(limits.per_run_usd)}" if limits.per_run_usd is not None else ""
    if not parts:
        return ("ok", f"{per_run or 'no spending budget set'}; spent today "
                f"{usd_text(totals.today)}", None)
    worst = max(share for _label, share in parts)
    detail = "; ".join(label for label, _share in parts)
    if worst >= 1.0 - 1e-9:
        return ("down", f"budget spent: {detail}",
                "Model calls are refused until the period turns; raise keel.budgets in your "
                "user settings to spend more.")
    if worst >= WARN_AT:
        return "degraded", f"budget nearly spent: {detail}", "Raise keel.budgets if needed."
    return "ok", f"{detail}; {per_run}" if per_run else detail, None


def period_lines(limits: BudgetSettings, totals: Totals) -> list[tuple[str, float]]:
    """("today $1.20 of $5.00 (24 %)", 0.24) for each period budget that is set."""
    lines = []
    for name, limit, spent in (("today", limits.daily_usd, totals.today),
                               ("this month", limits.monthly_usd, totals.month)):
        if limit is None:
            continue
        share = spent / limit if limit > 0 else (1.0 if spent >= 0 else 0.0)
        lines.append((f"{name} {usd_text(spent)} of {usd_text(limit)} ({share:.0%})", share))
    return lines
