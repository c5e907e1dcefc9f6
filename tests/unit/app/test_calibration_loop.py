"""The estimate's band comes from what past runs of the workflow really used."""

from __future__ import annotations

import anyio
import pytest

from keel.app import cost_ops
from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.protocol.cost import EstimateCostParams
from keel.records import RunRecord, StageRecord


def _run(i: int, estimated: int, actual: int) -> RunRecord:
    stage = StageRecord(run_id=f"r{i}", stage_id="summary", status="succeeded", tier="cheap",
                        provider="p", model="m", attempts=1, fallback_used=False,
                        input_tokens=actual, output_tokens=100, usd=0.01, duration_ms=5,
                        estimated_input_tokens=estimated, estimated_output_tokens=100)
    return RunRecord(run_id=f"r{i}", workflow="summarize", target="a.py", status="succeeded",
                     started_at="2026-11-22T10:00:00Z", finished_at="2026-11-22T10:00:01Z",
                     duration_ms=1000, stages=[stage])


@pytest.fixture
def app(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("def f(x):\n    return x\n" * 50)
    a = KeelApp(workspace_folders=[ws], worker_pool_size=1)
    a.apply_settings({"storage": {"dir": str(tmp_path / "store")}}, "settings")
    yield a
    a.close()


async def _estimate(app):
    return await cost_ops.estimate_cost(app, EstimateCostParams(workflow="summarize", target="a.py"))


async def test_default_band_until_enough_runs_then_the_observed_error(app):
    start_storage(app)
    default = await _estimate(app)
    expected = default.usd.expected or default.if_configured.usd.expected
    band = default.usd if default.usd.expected else default.if_configured.usd
    assert band.high == pytest.approx(expected * 1.35, rel=1e-3)
    recorder = app.storage
    for i in range(6):  # every stage used 200 more input tokens than estimated
        recorder.run_started(_run(i, 1000, 1200))
        recorder.run_finished(_run(i, 1000, 1200))
    assert await anyio.to_thread.run_sync(recorder.flush, 10)
    calibrated = await _estimate(app)
    band = calibrated.usd if calibrated.usd.expected else calibrated.if_configured.usd
    error = 200 / 1300  # |actual - estimated| / actual over the stage's tokens (in + out)
    assert band.high == pytest.approx(band.expected * (1 + error), rel=1e-3)
    assert band.low == pytest.approx(band.expected * (1 - error), rel=1e-3)
    await app.aclose()
