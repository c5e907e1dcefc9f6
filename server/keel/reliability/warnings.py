"""Report warnings: the anomalies that mean a report's cost figures cannot be taken as read.

The savings figure is measured only against the defined baseline
(``BASELINE_DEFINITION``): a run that cost money but recorded no baseline has
nothing to save against, so its cost is left out of ``savingsUsd`` and a
warning says how much was left out, instead of a saving that was never measured.
"""

from __future__ import annotations

from keel.cost.calibration import Calibration
from keel.protocol.history import UsageReport
from keel.protocol.reliability import ReportWarning
from keel.providers.registry import known_price
from keel.storage.metrics import ReliabilityCounts
from keel.storage.metrics_schema import IMPLAUSIBLE_CALL_USD, IMPLAUSIBLE_RUN_USD

# Read by people (keel report's footer, the dashboard): words, not wire field names.
BASELINE_DEFINITION = (
    "Baseline: what each model stage's recorded tokens would have cost on its provider's "
    "premium-tier model (registry prices). Savings = baseline - actual cost, over the runs "
    "that recorded a baseline; the per-provider rows carry no baseline, so their savings are 0.")


def _cost_warnings(c: ReliabilityCounts) -> list[ReportWarning]:
    found = []
    if c.negative_runs or c.negative_calls:
        found.append(ReportWarning(
            code="cost.negative", count=c.negative_runs + c.negative_calls,
            message=f"{c.negative_runs} runs and {c.negative_calls} model calls recorded a "
                    "negative cost: the totals are understated"))
    if c.implausible_runs or c.implausible_calls:
        found.append(ReportWarning(
            code="cost.implausible", count=c.implausible_runs + c.implausible_calls,
            message=f"{c.implausible_runs} runs cost over ${IMPLAUSIBLE_RUN_USD:.0f} and "
                    f"{c.implausible_calls} model calls over ${IMPLAUSIBLE_CALL_USD:.0f}: "
                    "check their prices and token counts before trusting the totals"))
    if c.unmeasured_baseline_runs:
        found.append(ReportWarning(
            code="baseline.unmeasured", count=c.unmeasured_baseline_runs,
            message=f"{c.unmeasured_baseline_runs} runs cost "
                    f"${c.unmeasured_baseline_usd:.4f} with a zero baseline: no saving was "
                    "measured for them, so their cost is left out of the savings"))
    return found


def _model_warnings(c: ReliabilityCounts) -> list[ReportWarning]:
    # A model the registry does not know is priced at its tier default's price;
    # free models (local, offline, cache) priced nothing, so nothing is in doubt.
    return [
        ReportWarning(
            code="model.unpriced", count=calls,
            message=f"{calls} calls to {model!r} ({provider}) were priced with a model "
                    f"missing from the registry (${usd:.4f} at its tier default's price); "
                    "add it to the registry file (models.registryPath)")
        for provider, model, calls, usd in c.models
        if usd > 0 and known_price(model) is None
    ]


def _estimate_warnings(c: ReliabilityCounts, first_day: str) -> list[ReportWarning]:
    """Days whose mean estimate error exceeded the band quoted that day.

    The band quoted on a day is the calibration of every earlier day (the
    estimator's own rule, ``keel.cost.calibration``), so the check replays
    the days in order. Day granularity: the rollup keeps per-day sums.
    """
    samples_before, abs_before = 0, 0.0
    outside_samples = outside_days = window_samples = 0
    widest = 0.0
    for day, samples, abs_sum in c.estimator_days:
        if day >= first_day and samples:
            band = Calibration(samples_before, abs_before / samples_before
                               if samples_before else None).band_fraction * 100
            window_samples += samples
            if abs_sum / samples > band:
                outside_samples += samples
                outside_days += 1
                widest = max(widest, abs_sum / samples)
        samples_before += samples
        abs_before += abs_sum
    if not outside_samples:
        return []
    return [ReportWarning(
        code="estimate.outside_band", count=outside_samples,
        message=f"on {outside_days} days, estimates were off by more than the band quoted "
                f"for them ({outside_samples} of {window_samples} estimated stages; worst day "
                f"{widest:.0f}% on average): treat those estimates as rough")]


def report_warnings(report: UsageReport, counts: ReliabilityCounts,
                    first_day: str) -> list[ReportWarning]:
    """The anomalies of a report whose window starts on ``first_day``."""
    found = (_cost_warnings(counts) + _model_warnings(counts)
             + _estimate_warnings(counts, first_day))
    if report.dropped_events:
        found.append(ReportWarning(
            code="history.incomplete", count=report.dropped_events,
            message=f"{report.dropped_events} history events were dropped in this window: "
                    "counts and costs are lower than what really happened"))
    return found


def measured_savings(report: UsageReport, counts: ReliabilityCounts) -> float:
    """Savings against the defined baseline only: costs with no baseline are left out."""
    measured_actual = report.actual_usd - counts.unmeasured_baseline_usd
    return round(report.baseline_usd - measured_actual, 6)
