"""keel/analyze and keel/generateFix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import DeadlineParams, ProgressToken, Range, WireModel

Severity = Literal["info", "warning", "error"]


class Finding(WireModel):
    id: str = Field(description="Stable for the same code, across unrelated edits.")
    rule: str
    title: str
    message: str
    severity: Severity
    category: str
    uri: str
    range: Range
    rationale: str | None = None
    suggestion: str | None = None
    fixable: bool = False


class AnalysisMetrics(WireModel):
    lines: int
    functions: int
    max_complexity: int
    classes: int = 0
    code_lines: int = 0


class AnalyzeParams(DeadlineParams):
    uri: str = Field(min_length=1)
    work_done_token: ProgressToken | None = None


class AnalysisResult(WireModel):
    uri: str
    version: int | None = None
    findings: list[Finding]
    metrics: AnalysisMetrics
    cached: bool
    duration_ms: int


class GenerateFixParams(DeadlineParams):
    uri: str = Field(min_length=1)
    finding_id: str = Field(min_length=1)


class TextEdit(WireModel):
    range: Range
    new_text: str


class FixProposal(WireModel):
    uri: str
    finding_id: str
    version: int | None = None
    edits: list[TextEdit]
    explanation: str
    source: Literal["rule", "llm"]
    provider: str | None = None
    model: str | None = None
    usd: float | None = None
