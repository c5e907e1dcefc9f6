"""`keel run` over a budget: show the figures, ask on a terminal, refuse (exit 6) otherwise."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetLeft


def _usd(value: Any) -> str:
    return f"${value:.4f}" if isinstance(value, int | float) else "?"


def describe(error: BudgetExceeded) -> list[str]:
    """The refusal's figures, one line each, for stderr."""
    d = error.details
    band = d.get("estimateUsd") or {}
    spent = d.get("spentUsd") or {}
    lines = [f"budget: {error.message}",
             f"  estimate {_usd(band.get('low'))}–{_usd(band.get('high'))} "
             f"(expected {_usd(band.get('expected'))}); {d.get('budget')} budget "
             f"{_usd(d.get('limitUsd'))}, left {_usd(d.get('leftUsd'))}; spent today "
             f"{_usd(spent.get('today'))}, this month {_usd(spent.get('month'))}"]
    fit = d.get("wouldFit") or {}
    if "cheapTierUsd" in fit:
        verdict = "fits" if fit.get("cheapTier") else "does not fit either"
        lines.append(f"  on the cheap tier: up to {_usd(fit['cheapTierUsd'])} ({verdict})")
    if fit.get("targetShare") is not None:
        lines.append(f"  a target about {fit['targetShare']:.0%} of this size would fit")
    return lines


def confirm_over_budget(error: BudgetExceeded, *, interactive: bool | None = None) -> bool:
    """True when the user chose to run anyway. Only a terminal is asked: anywhere else (a
    pipe, CI) the answer is no, and the caller exits 6 (`--yes` confirms in advance)."""
    for line in describe(error):
        typer.echo(line, err=True)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if not error.details.get("canConfirm") or not interactive:
        return False
    return typer.confirm("Run anyway? Model calls still stop at the budget", default=False,
                         err=True)


def ledger_budget(storage_dir: Path | None, settings_file: Path | None) -> BudgetLeft | None:
    """`keel report`'s spend against the budgets of ``--settings`` (or spend alone), from the
    ledger of the storage folder; None when no ledger was ever written there."""
    from keel.settings import load_settings
    from keel.spend.gate import budget_left
    from keel.spend.ledger import LEDGER_NAME, Ledger
    from keel.storage.paths import storage_root

    from .common import settings_object, warn_settings_problems

    raw, source = settings_object(settings_file)
    loaded = load_settings(raw, source)
    warn_settings_problems(loaded.problems)
    path = storage_root(storage_dir or loaded.settings.storage.dir) / LEDGER_NAME
    if not path.is_file():
        return None
    ledger = Ledger(path)
    try:
        return budget_left(loaded.settings.budgets, ledger.totals())
    finally:
        ledger.close()


def budget_rows(budget: BudgetLeft) -> list[tuple[str, str]]:
    def against(spent: float, limit: float | None) -> str:
        return f"{_usd(spent)} of {_usd(limit)}" if limit is not None else _usd(spent)

    rows = [("spent today (all workspaces)", against(budget.spent_today_usd, budget.daily_usd)),
            ("spent this month", against(budget.spent_month_usd, budget.monthly_usd))]
    if budget.per_run_usd is not None:
        rows.append(("per-run budget", _usd(budget.per_run_usd)))
    return rows
