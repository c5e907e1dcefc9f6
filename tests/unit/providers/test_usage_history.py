"""Issue 26 point 5: estimated usage is flagged in history and left out of the calibration
(in memory and in the history database's estimator rollup, schema v7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from keel.cost.calibration import Calibration
from keel.records import ModelCallRecord, RunRecord, StageRecord
from keel.storage import HistoryReader, StorageRecorder


def _stage(run_id: str, estimated: bool) -> StageRecord:
    # estimated 240 tokens, actually 200: +20 % when it counts
    return StageRecord(run_id=run_id, stage_id="review", status="succeeded", tier="cheap",
                       provider="p", model="m", attempts=1, fallback_used=False,
                       input_tokens=200, output_tokens=0, usd=0.001, duration_ms=5,
                       estimated_input_tokens=240, estimated_output_tokens=0,
                       cost_estimated=estimated, truncated=estimated)


def test_the_calibration_leaves_out_stages_with_estimated_usage():
    records = [_stage("a", False), _stage("b", True)]
    calibration = Calibration.from_stage_records(records)
    assert (calibration.samples, calibration.estimated_skipped) == (1, 1)
    assert calibration.mean_abs_pct_error == pytest.approx(20.0)
    assert "1 with estimated usage left out" in calibration.describe()


def test_history_keeps_the_flags_and_its_estimator_skips_estimated_stages(tmp_path: Path):
    db = tmp_path / "history.db"
    recorder = StorageRecorder(db)
    for run_id, estimated in (("r1", False), ("r2", True)):
        started = "2026-12-05T10:00:00Z"
        recorder.run_started(RunRecord(run_id, "review", "x.py", "running", started))
        recorder.model_call(ModelCallRecord(
            run_id=run_id, stage_id="review", provider="p", model="m", tier="cheap",
            input_tokens=200, output_tokens=0, usd=0.001, latency_ms=5, attempts=1,
            fallback=False, breaker_state="closed", outcome="succeeded",
            at="2026-12-05T10:00:01Z", stop_reason="max_tokens" if estimated else "end_turn",
            cost_estimated=estimated))
        recorder.run_finished(RunRecord(run_id, "review", "x.py", "succeeded", started,
                                        finished_at="2026-12-05T10:00:02Z",
                                        stages=[_stage(run_id, estimated)]))
    assert recorder.close(10)
    with HistoryReader(db) as reader:
        samples, error = reader.estimator_error()
    assert (samples, error) == (1, pytest.approx(20.0))
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT run_id, cost_estimated, truncated FROM stages "
                            "ORDER BY run_id").fetchall() == [("r1", 0, 0), ("r2", 1, 1)]
        assert conn.execute("SELECT run_id, cost_estimated, stop_reason FROM model_calls "
                            "ORDER BY run_id").fetchall() == [("r1", 0, "end_turn"),
                                                              ("r2", 1, "max_tokens")]
    finally:
        conn.close()
