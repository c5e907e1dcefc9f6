from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from keel.records import ModelCallRecord, RunRecord, StageRecord
from keel.storage import StorageRecorder


def make_run(run_id: str, *, workflow: str = "review", status: str = "running",
             started_at: str = "2026-03-10T12:00:00Z", **fields) -> RunRecord:
    return RunRecord(run_id=run_id, workflow=workflow, target="src/app.py", status=status,
                     started_at=started_at, **fields)


def make_call(run_id: str, *, at: str, provider: str = "anthropic", outcome: str = "succeeded",
              attempts: int = 1, fallback: bool = False, usd: float = 0.01,
              **fields) -> ModelCallRecord:
    return ModelCallRecord(run_id=run_id, stage_id=fields.pop("stage_id", "review"),
                           provider=provider, model="m-1", tier="capable", input_tokens=100,
                           output_tokens=20, usd=usd, latency_ms=300, attempts=attempts,
                           fallback=fallback, breaker_state="closed", outcome=outcome, at=at,
                           **fields)


def make_stage(run_id: str, stage_id: str = "review", *, tokens: tuple[int, int] = (100, 20),
               estimated: tuple[int, int] | None = None) -> StageRecord:
    return StageRecord(run_id=run_id, stage_id=stage_id, status="succeeded", tier="capable",
                       provider="anthropic", model="m-1", attempts=1, fallback_used=False,
                       input_tokens=tokens[0], output_tokens=tokens[1], usd=0.01,
                       duration_ms=50,
                       estimated_input_tokens=estimated[0] if estimated else None,
                       estimated_output_tokens=estimated[1] if estimated else None)


@pytest.fixture
def build() -> SimpleNamespace:
    return SimpleNamespace(run=make_run, call=make_call, stage=make_stage)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "history.db"


@pytest.fixture
def recorder_factory(db_path: Path) -> Iterator:
    made: list[StorageRecorder] = []

    def factory(path: Path = db_path, **options) -> StorageRecorder:
        options.setdefault("retry_initial_s", 0.01)
        options.setdefault("retry_max_s", 0.05)
        recorder = StorageRecorder(path, **options)
        made.append(recorder)
        return recorder

    yield factory
    for recorder in made:
        recorder.close(timeout=1.0)
