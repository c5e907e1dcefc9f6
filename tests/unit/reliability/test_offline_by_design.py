"""Offline-by-design partial runs (no key, Restricted Mode) count as successes, the same way
in the totals, the success metric (so health's alerts), each workflow and each day."""

from __future__ import annotations

from keel.records import RunRecord, StageRecord
from keel.reliability.metrics import SUCCESS_RATE

from .conftest import TODAY


def record(history, run_id: str, status: str, stages: list[tuple[str, str | None, str | None]],
           day: str = TODAY, workflow: str = "review") -> None:
    """``stages``: (status, error_type, note) of each stage."""
    run = RunRecord(run_id=run_id, workflow=workflow, target="src", status=status,
                    started_at=f"{day}T10:00:00Z", stages=[
                        StageRecord(run_id=run_id, stage_id=f"s{n}", status=s, tier=None,
                                    provider=None, model=None, attempts=0, fallback_used=False,
                                    input_tokens=0, output_tokens=0, usd=0.0, duration_ms=1,
                                    error_type=error_type, note=note)
                        for n, (s, error_type, note) in enumerate(stages)])
    history.recorder.run_started(run)
    history.recorder.run_finished(run)


OFFLINE = [("succeeded", None, None), ("skipped", "offline", "no model provider has a key")]


def test_offline_partial_runs_are_successes_and_troubled_ones_are_not(history, find):
    record(history, "ok", "succeeded", [("succeeded", None, None)])
    record(history, "offline", "partial", OFFLINE)
    record(history, "restricted", "partial", [("succeeded", None, None),
                                              ("skipped", "offline", "Restricted Mode")])
    # Hostile cases: a partial run with an offline skip *and* a failed or stale stage.
    record(history, "failed-too", "partial", [*OFFLINE, ("failed", "provider", "bad key")])
    record(history, "stale", "partial", [("succeeded", "degraded", "served a cached answer "
                                                                   "for this input (stale)")])
    record(history, "no-bandit", "partial", [("skipped", "degraded", "bandit is missing")])
    report = history.report()
    assert (report.partial, report.offline_partial) == (5, 2)
    assert report.success_rate == round(3 / 6, 6)
    success = find(report, SUCCESS_RATE)
    assert (success.numerator, success.denominator) == (3, 6)
    [day] = report.by_day
    [workflow] = report.by_workflow
    assert day.success_rate == workflow.success_rate == round(3 / 6, 6)


def test_rows_written_before_the_offline_marker_are_recognised_by_their_notes(history):
    record(history, "old-offline", "partial", [
        ("succeeded", None, None),
        ("skipped", None, "skipped: no model provider has a key (set ANTHROPIC_API_KEY)")])
    record(history, "old-untrusted", "partial", [
        ("skipped", None, "skipped: the workspace is not trusted, so no code is sent")])
    record(history, "old-stale", "partial", [
        ("skipped", None, "skipped: no model provider has a key"),
        ("succeeded", None, "every provider failed: served a cached answer for this input "
                            "(stale)")])
    assert history.report().offline_partial == 2


def test_an_offline_day_does_not_read_as_zero_success(history, find):
    for n in range(25):
        record(history, f"r{n}", "partial", OFFLINE, day="2026-03-09")
    report = history.report()
    assert report.success_rate == 1.0 and find(report, SUCCESS_RATE).met is True
    assert report.alerts == []
