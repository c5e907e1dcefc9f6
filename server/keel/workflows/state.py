"""The mutable state of one run, filled in as stages progress.

It is updated in place (never rebuilt at the end) so that a run cut short by
its deadline or a cancel still reports what each stage had done and spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from keel.errors import KeelError
from keel.protocol.advisor import Finding
from keel.protocol.settings import Tier
from keel.protocol.workflows import StageSkip

# A stage's StageStatus once it ended; before that, pending or running.
StageProgress = Literal["pending", "running", "succeeded", "skipped", "failed", "cancelled"]


@dataclass
class StageState:
    id: str
    title: str
    kind: str
    status: StageProgress = "pending"
    tier: Tier | None = None
    provider: str | None = None
    model: str | None = None
    attempts: int = 0
    fallback_used: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    baseline_usd: float = 0.0
    duration_ms: int = 0
    note: str | None = None
    error: KeelError | None = None
    estimated_input_tokens: int | None = None
    estimated_output_tokens: int | None = None
    findings: list[Finding] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # markdown lines for the report
    outputs: list[str] = field(default_factory=list)  # model answers, one per call
    stale: bool = False
    # Skipped or failed for a reason outside the code (no provider, no bandit, ...).
    degraded: bool = False
    skip: StageSkip | None = None  # why it was skipped, for the wire and the report
    # Live progress of a model stage: chunks planned, finished, and what went wrong on the way.
    chunks: int = 0
    chunks_done: int = 0
    retries: int = 0
    fallbacks: int = 0
    truncated: bool = False  # a model answer stopped at its output limit (stop_reason)
    cost_estimated: bool = False  # some usage was not reported: tokens and cost are estimates

    def add_note(self, text: str) -> None:
        self.note = f"{self.note}; {text}" if self.note else text


@dataclass
class RunState:
    run_id: str
    workflow: str
    target: str
    stages: list[StageState]
    files: int = 0
    degraded: list[str] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        return [f for stage in self.stages for f in stage.findings]

    def stage(self, stage_id: str) -> StageState:
        return next(s for s in self.stages if s.id == stage_id)
