"""keel/estimateCost."""

from __future__ import annotations

from pydantic import Field

from .base import DeadlineParams, WireModel
from .settings import Tier


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
