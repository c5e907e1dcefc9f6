"""keel/analyze and keel/generateFix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import DeadlineParams, ProgressToken, Range, WireModel

Severity = Literal["info", "warning", "error"]
FixSafety = Literal["safe", "unsafe"]


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
    fix_safety: FixSafety | None = Field(
        default=None,
        description="For a fixable finding: 'safe' when the rule fix keeps what the code does "
        "(may be applied without review), 'unsafe' when it deliberately changes behaviour or "
        "cannot be proven not to (review before applying).")


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
    title: str | None = Field(
        default=None,
        description="Rule fixes: the fix as an action, for a menu (\"Remove unused import 'os'\", "
        "\"Narrow bare except to Exception (unsafe)\"). None for model-proposed fixes.")
    source: Literal["rule", "llm"]
    provider: str | None = None
    model: str | None = None
    usd: float | None = None
    safety: FixSafety | None = Field(
        default=None,
        description="Rule fixes: 'safe' (behaviour preserved; may be applied by default) or "
        "'unsafe' (changes behaviour or cannot be proven not to; apply after review). "
        "None for model-proposed fixes, which are never applied without review.")
    safety_reason: str | None = Field(
        default=None, description="Why the fix is safe or unsafe, in one sentence.")
