"""keel/estimateCost."""

from __future__ import annotations

from pydantic import Field

from .base import DeadlineParams, WireModel
from .budget import BudgetLeft
from .settings import Tier
from .workflows import StageSkip


class EstimateCostParams(DeadlineParams):
    workflow: str = Field(min_length=1)
    target: str = Field(min_length=1)


class UsdBand(WireModel):
    low: float
    expected: float
    high: float


class StageEstimate(WireModel):
    id: str
    tier: Tier | None = None
    provider: str | None = None
    model: str | None = None
    input_tokens: int
    output_tokens: int
    usd: float
    note: str | None = None
    calls: int | None = Field(default=None, description="Model calls the stage would make.")
    downgraded: bool | None = Field(default=None, description="Runs one tier cheaper (small input).")
    price_known: bool | None = Field(default=None, description="False: the model's price is a tier default.")
    if_configured_usd: float | None = Field(
        default=None, description="With no provider able to serve: the price on the reference provider.")
    if_configured_model: str | None = None
    skip: StageSkip | None = Field(
        default=None, description="Set when a run would skip this stage, and why "
                                  "(restrictedMode, noProvider).")


class SkippedFiles(WireModel):
    binary: int = 0
    large: int = 0
    unreadable: int = 0
    ignored: int = 0
    symlinks: int = 0


class IfConfigured(WireModel):
    provider: str
    usd: UsdBand


class CostEstimate(WireModel):
    workflow: str
    target: str
    files: int
    bytes: int
    input_tokens: int
    output_tokens: int
    usd: UsdBand
    stages: list[StageEstimate]
    method: str
    cached_files: int
    duration_ms: int
    skipped_files: int = 0
    code_tokens: int | None = Field(default=None, description="Tokens of the code read, before prompts.")
    skipped: SkippedFiles | None = None
    if_configured: IfConfigured | None = Field(
        default=None, description="Set when LLM stages would be skipped: what they would cost.")
    budget: BudgetLeft | None = Field(
        default=None, description="What is left of the budgets set (budgets.*); absent with none.")
