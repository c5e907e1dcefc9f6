"""Synthetic histories for the reliability tests: recorded through the real recorder,
with every timestamp given (a fake clock), read at a fixed ``NOW``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keel.protocol.reliability import AlertSettings
from keel.records import ModelCallRecord, RunRecord
from keel.reliability.report import reliability_report
from keel.storage import HistoryReader, StorageRecorder

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
TODAY = "2026-03-10"


def run(run_id: str, status: str, *, at: str = f"{TODAY}T10:00:00Z", actual: float = 0.01,
        baseline: float = 0.05, workflow: str = "review") -> RunRecord:
    return RunRecord(run_id=run_id, workflow=workflow, target="src/a.py", status=status,
                     started_at=at, actual_usd=actual, baseline_usd=baseline)


def call(run_id: str, *, at: str = f"{TODAY}T10:00:01Z", provider: str = "anthropic",
         model: str = "claude-haiku-4-5", outcome: str = "succeeded", fallback: bool = False,
         usd: float = 0.01) -> ModelCallRecord:
    return ModelCallRecord(run_id=run_id, stage_id="s", provider=provider, model=model,
                           tier="cheap", input_tokens=100, output_tokens=10, usd=usd,
                           latency_ms=100, attempts=1, fallback=fallback,
                           breaker_state="closed", outcome=outcome, at=at)


class History:
    """Record, then report: ``history.recorder`` is live until ``report`` is called."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.recorder = StorageRecorder(path)
        self._made = 0

    def runs(self, statuses: list[str], **fields) -> None:
        for status in statuses:
            self._made += 1
            record = run(f"run-{self._made}", status, **fields)
            self.recorder.run_started(record)
            if status != "running":
                self.recorder.run_finished(record)

    def report(self, days: int = 30, alerts: AlertSettings | None = None):
        assert self.recorder.flush(10)
        with HistoryReader(self.path) as reader:
            return reliability_report(reader, days, NOW, alerts)

    def close(self) -> None:
        self.recorder.close(5)


@pytest.fixture
def history(tmp_path: Path):
    made = History(tmp_path / "history.db")
    yield made
    made.close()


def metric_of(report, metric_id: str, key: str | None = None):
    return next(m for m in report.metrics if m.id == metric_id and m.key == key)


@pytest.fixture
def find() -> Callable:
    return metric_of
