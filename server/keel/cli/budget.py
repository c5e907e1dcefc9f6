"""`keel run` over a budget: show the figures, ask on a terminal, refuse (exit 6) otherwise."""

from __future__ import annotations

import sys
from typing import Any

import typer

from keel.errors import BudgetExceeded


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
