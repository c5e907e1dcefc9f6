"""Spending budgets (``budgets.*`` settings) and the figures the wire reports about them."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .base import WireModel

# A budget above a million dollars is a typo, not a cap.
MAX_BUDGET_USD = 1_000_000.0


class BudgetSettings(WireModel):
    """Unset = no limit. Days and months follow the local calendar of the server's machine."""

    model_config = ConfigDict(extra="forbid")
    per_run_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    daily_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    monthly_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    on_exceed: Literal["ask", "refuse"] = "ask"

    def limited(self) -> bool:
        return any(v is not None for v in (self.per_run_usd, self.daily_usd, self.monthly_usd))


class BudgetLeft(WireModel):
    """What is spent and left of each budget that is set (absent: no limit)."""

    spent_today_usd: float
    spent_month_usd: float
    reserved_usd: float = Field(description="Held by model calls in flight.")
    per_run_usd: float | None = None
    daily_usd: float | None = None
    monthly_usd: float | None = None
    left_today_usd: float | None = None
    left_month_usd: float | None = None
    left_for_run_usd: float | None = Field(
        default=None, description="What a new run may spend: the least of the limits left.")
