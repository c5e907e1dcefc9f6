"""What a run hands to its recorder: the interface between workflows and storage.

Workflows call a ``RunRecorder``; storage implements it (SQLite) and tests use
``MemoryRecorder``. Every method is synchronous and must return at once: the
request path only enqueues, it never waits for a disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class ModelCallRecord:
    run_id: str
    stage_id: str
    provider: str
    model: str
    tier: str | None
    input_tokens: int
    output_tokens: int
    usd: float
    latency_ms: int
    attempts: int
    fallback: bool
    breaker_state: str
    outcome: str  # "succeeded" | "failed" | "cancelled" | "timedOut" | "refused"
    error_type: str | None = None
    error_code: str | None = None
    at: str = ""
    # Issue 26: the answer's stop reason, and whether usage was estimated (none reported).
    stop_reason: str | None = None
    cost_estimated: bool = False


@dataclass
class StageRecord:
    run_id: str
    stage_id: str
    status: str
    tier: str | None
    provider: str | None
    model: str | None
    attempts: int
    fallback_used: bool
    input_tokens: int
    output_tokens: int
    usd: float
    duration_ms: int
    estimated_input_tokens: int | None = None
    estimated_output_tokens: int | None = None
    error_type: str | None = None
    note: str | None = None
    truncated: bool = False
    cost_estimated: bool = False


@dataclass
class RunRecord:
    run_id: str
    workflow: str
    target: str
    status: str  # RunStatus of the wire
    started_at: str
    finished_at: str | None = None
    duration_ms: int = 0
    actual_usd: float = 0.0
    baseline_usd: float = 0.0
    error_type: str | None = None
    error_code: str | None = None
    degraded: list[str] = field(default_factory=list)
    stages: list[StageRecord] = field(default_factory=list)
    report_markdown: str | None = None


@dataclass
class EstimateRecord:
    workflow: str
    target: str
    files: int
    input_tokens: int
    output_tokens: int
    usd_expected: float
    duration_ms: int
    at: str


class RunRecorder(Protocol):
    def run_started(self, run: RunRecord) -> None: ...

    def model_call(self, call: ModelCallRecord) -> None: ...

    def run_finished(self, run: RunRecord) -> None: ...

    def estimate_made(self, estimate: EstimateRecord) -> None: ...


class MemoryRecorder:
    """The in-memory double: keeps everything in lists, for tests and as a fallback."""

    def __init__(self) -> None:
        self.started: list[RunRecord] = []
        self.calls: list[ModelCallRecord] = []
        self.finished: list[RunRecord] = []
        self.estimates: list[EstimateRecord] = []

    def run_started(self, run: RunRecord) -> None:
        self.started.append(run)

    def model_call(self, call: ModelCallRecord) -> None:
        self.calls.append(call)

    def run_finished(self, run: RunRecord) -> None:
        self.finished.append(run)

    def estimate_made(self, estimate: EstimateRecord) -> None:
        self.estimates.append(estimate)
