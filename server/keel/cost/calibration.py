"""The estimate's low/high band, from how wrong past estimates were.

Storage records, per stage of every run, the estimated and the actual tokens
(``StageRecord.estimated_input_tokens`` … ``input_tokens``). The relative
error of a sample is ``|estimated - actual| / actual`` over input + output
tokens; the band is ``expected × (1 ∓ mean error)``.

Until at least ``MIN_SAMPLES`` (5) samples exist the band is the documented
default of ±35 %: the token heuristic alone is within 17 % per file at p90
against OpenAI tokenizers (see ``tokens.py``), and the output side is a
per-call budget that real answers rarely fill, so ±35 % is a deliberately
wide prior, replaced by evidence as soon as there is some. A calibrated band
never gets narrower than ±5 % (a few lucky runs prove little) nor wider than
±100 %.

A stage whose provider reported no usage (``cost_estimated``) has estimated
"actual" tokens: comparing an estimate with an estimate proves nothing, so
such stages are left out and counted in ``estimated_skipped`` (storage's
estimator rollup leaves them out the same way, schema v7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from keel.protocol.cost import UsdBand

DEFAULT_BAND = 0.35
MIN_SAMPLES = 5
MIN_BAND = 0.05
MAX_BAND = 1.0


@dataclass(frozen=True)
class Calibration:
    samples: int = 0
    mean_abs_pct_error: float | None = None  # in percent: 18.0 means ±18 %
    estimated_skipped: int = 0  # stages left out: their usage was estimated, not reported

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> Calibration:
        """From ``(estimated, actual)`` token totals; samples with no actual tokens are skipped."""
        errors = [abs(est - act) / act for est, act in pairs if act > 0]
        if not errors:
            return cls(0, None)
        return cls(len(errors), 100.0 * sum(errors) / len(errors))

    @classmethod
    def from_stage_records(cls, records: Iterable[Any]) -> Calibration:
        """From ``keel.records.StageRecord``-like objects of finished LLM stages."""
        pairs = []
        skipped = 0
        for rec in records:
            if rec.status != "succeeded" or rec.estimated_input_tokens is None:
                continue
            if getattr(rec, "cost_estimated", False):
                skipped += 1
                continue
            estimated = rec.estimated_input_tokens + (rec.estimated_output_tokens or 0)
            pairs.append((estimated, rec.input_tokens + rec.output_tokens))
        found = cls.from_pairs(pairs)
        return cls(found.samples, found.mean_abs_pct_error, skipped)

    @property
    def calibrated(self) -> bool:
        return self.samples >= MIN_SAMPLES and self.mean_abs_pct_error is not None

    @property
    def band_fraction(self) -> float:
        if not self.calibrated:
            return DEFAULT_BAND
        assert self.mean_abs_pct_error is not None
        return min(MAX_BAND, max(MIN_BAND, self.mean_abs_pct_error / 100.0))

    def describe(self) -> str:
        pct = round(100 * self.band_fraction)
        left_out = (f"; {self.estimated_skipped} with estimated usage left out"
                    if self.estimated_skipped else "")
        if self.calibrated:
            return f"band ±{pct}% observed over {self.samples} past stages{left_out}"
        return (f"band ±{pct}% default ({self.samples} of {MIN_SAMPLES} past stages "
                f"needed{left_out})")

    def band(self, expected_usd: float) -> UsdBand:
        fraction = self.band_fraction
        return UsdBand(
            low=round(max(0.0, expected_usd * (1.0 - fraction)), 6),
            expected=round(expected_usd, 6),
            high=round(expected_usd * (1.0 + fraction), 6),
        )


CalibrationSource = (
    Calibration | tuple[int, float] | Callable[[], "Calibration | tuple[int, float] | None"] | None
)


def resolve_calibration(source: CalibrationSource) -> Calibration:
    """Accept a Calibration, a plain ``(samples, mean_abs_pct_error)`` pair, or a callable of either."""
    if callable(source) and not isinstance(source, Calibration):
        source = source()
    if source is None:
        return Calibration()
    if isinstance(source, Calibration):
        return source
    samples, error = source
    return Calibration(int(samples), float(error))
