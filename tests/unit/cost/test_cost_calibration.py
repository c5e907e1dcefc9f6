from __future__ import annotations

from types import SimpleNamespace

import pytest

from keel.cost.calibration import Calibration, resolve_calibration


def test_default_band_until_five_samples() -> None:
    cal = Calibration(4, 10.0)
    assert cal.band_fraction == 0.35
    band = cal.band(2.0)
    assert (band.low, band.expected, band.high) == (1.3, 2.0, 2.7)
    assert "default" in cal.describe()


def test_observed_band_from_five_samples() -> None:
    band = Calibration(5, 20.0).band(2.0)
    assert (band.low, band.expected, band.high) == (1.6, 2.0, 2.4)


def test_band_is_clamped() -> None:
    assert Calibration(50, 1.0).band_fraction == 0.05
    wide = Calibration(50, 250.0).band(1.0)
    assert (wide.low, wide.high) == (0.0, 2.0)


def test_from_pairs_mean_absolute_percentage_error() -> None:
    # errors: 10 %, 30 %, 0 %, 20 %; the zero-actual sample is skipped
    cal = Calibration.from_pairs([(110, 100), (70, 100), (50, 50), (240, 200), (5, 0)])
    assert cal.samples == 4
    assert cal.mean_abs_pct_error == pytest.approx(15.0)


def test_from_stage_records_uses_finished_stages_with_estimates() -> None:
    def rec(status, est_in, est_out, act_in, act_out):
        return SimpleNamespace(status=status, estimated_input_tokens=est_in,
                               estimated_output_tokens=est_out, input_tokens=act_in,
                               output_tokens=act_out)

    cal = Calibration.from_stage_records([
        rec("succeeded", 1000, 500, 1200, 300),  # 1500 vs 1500: 0 %
        rec("succeeded", 900, 100, 400, 100),  # 1000 vs 500: 100 %
        rec("failed", 1, 1, 100, 100),
        rec("succeeded", None, None, 100, 100),
    ])
    assert (cal.samples, cal.mean_abs_pct_error) == (2, 50.0)


def test_resolve_accepts_pair_callable_and_none() -> None:
    assert resolve_calibration((7, 12.5)) == Calibration(7, 12.5)
    assert resolve_calibration(lambda: (9, 30.0)) == Calibration(9, 30.0)
    assert resolve_calibration(lambda: None) == Calibration()
    assert resolve_calibration(None).band_fraction == 0.35
