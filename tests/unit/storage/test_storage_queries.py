from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from keel.storage import HistoryReader, StorageRecorder

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def _record(db_path: Path, build, events) -> None:
    recorder = StorageRecorder(db_path)
    for method, record in events:
        getattr(recorder, method)(record)
    assert recorder.close(10)


@pytest.fixture
def history(db_path: Path, build) -> Path:
    run, call, stage = build.run, build.call, build.stage
    events = [
        # day 1 (2026-03-09): a review that succeeded after anthropic failed then recovered
        ("run_started", run("r1", started_at="2026-03-09T10:00:00Z")),
        ("model_call", call("r1", at="2026-03-09T10:00:01Z", outcome="failed", attempts=3,
                            usd=0.0)),
        ("model_call", call("r1", at="2026-03-09T10:00:05Z", outcome="succeeded", usd=0.2)),
        ("run_finished", run("r1", started_at="2026-03-09T10:00:00Z", status="succeeded",
                             actual_usd=0.2, baseline_usd=1.0, duration_ms=5000,
                             stages=[stage("r1", tokens=(100, 0), estimated=(110, 0))])),
        # day 2 (2026-03-10): a docs run that fell back to openai and timed out
        ("run_started", run("r2", workflow="docs", started_at="2026-03-10T09:00:00Z")),
        ("model_call", call("r2", at="2026-03-10T09:00:01Z", provider="openai",
                            outcome="timedOut", attempts=2, fallback=True, usd=0.1)),
        ("run_finished", run("r2", workflow="docs", started_at="2026-03-10T09:00:00Z",
                             status="timedOut", actual_usd=0.1, baseline_usd=0.3,
                             stages=[stage("r2", tokens=(200, 0), estimated=(140, 0))])),
        # day 2: a review cancelled, and one still running
        ("run_started", run("r3", started_at="2026-03-10T11:00:00Z")),
        ("run_finished", run("r3", started_at="2026-03-10T11:00:00Z", status="cancelled")),
        ("run_started", run("r4", started_at="2026-03-10T12:00:00Z")),
        # 40 days earlier: outside a 30-day report
        ("run_started", run("old", started_at="2026-01-20T12:00:00Z")),
        ("run_finished", run("old", started_at="2026-01-20T12:00:00Z", status="failed",
                             actual_usd=5.0, baseline_usd=5.0)),
    ]
    _record(db_path, build, events)
    return db_path


def test_list_runs_returns_the_newest_first(history: Path) -> None:
    with HistoryReader(history) as reader:
        runs = reader.list_runs()
        assert [r.run_id for r in runs] == ["r4", "r3", "r2", "r1", "old"]
        assert [r.run_id for r in reader.list_runs(limit=2)] == ["r4", "r3"]
        docs = reader.list_runs(workflow="docs")
    assert [(r.run_id, r.status, r.actual_usd) for r in docs] == [("r2", "timedOut", 0.1)]
    assert runs[3].wire() == {"runId": "r1", "workflow": "review", "target": "src/app.py",
                              "status": "succeeded", "startedAt": "2026-03-09T10:00:00.000Z",
                              "durationMs": 5000, "actualUsd": 0.2}


def test_usage_report_counts_rates_and_costs(history: Path) -> None:
    with HistoryReader(history) as reader:
        report = reader.usage_report(days=30, now=NOW)
    assert (report.runs, report.succeeded, report.failed, report.cancelled, report.timed_out) \
        == (4, 1, 0, 1, 1)
    # the running run is not finished: rates are over the 3 finished runs
    assert report.success_rate == pytest.approx(1 / 3, abs=1e-6)
    assert report.timeout_rate == pytest.approx(1 / 3, abs=1e-6)
    assert report.fallback_rate == pytest.approx(1 / 3, abs=1e-6)
    assert report.retry_amplification == pytest.approx(6 / 3, abs=1e-6)
    assert (report.actual_usd, report.baseline_usd, report.savings_usd) == (0.3, 1.3, 1.0)
    assert report.mean_time_to_recovery_ms == 4000
    assert report.dropped_events == 0
    assert report.estimator.samples == 2
    # +10 % on r1, -30 % on r2
    assert report.estimator.mean_abs_pct_error == pytest.approx(20.0)
    assert report.estimator.mean_pct_error == pytest.approx(-10.0)


def test_usage_report_breakdowns(history: Path) -> None:
    with HistoryReader(history) as reader:
        report = reader.usage_report(days=30, now=NOW)
    workflows = {b.key: b for b in report.by_workflow}
    assert sorted(workflows) == ["docs", "review"]
    review = workflows["review"]
    assert (review.runs, review.succeeded, review.calls, review.attempts) == (3, 1, 2, 4)
    assert (review.actual_usd, review.baseline_usd, review.savings_usd) == (0.2, 1.0, 0.8)
    providers = {b.key: b for b in report.by_provider}
    anthropic, openai = providers["anthropic"], providers["openai"]
    assert (anthropic.calls, anthropic.succeeded, anthropic.failed) == (2, 1, 1)
    assert anthropic.success_rate == 0.5 and anthropic.mean_time_to_recovery_ms == 4000
    assert (openai.calls, openai.timed_out, openai.fallbacks) == (1, 1, 1)
    assert openai.mean_time_to_recovery_ms is None
    assert [(d.key, d.runs, d.calls) for d in report.by_day] == \
        [("2026-03-09", 1, 2), ("2026-03-10", 3, 1)]


def test_report_window_is_calendar_days_ending_today(history: Path) -> None:
    with HistoryReader(history) as reader:
        today = reader.usage_report(days=1, now=NOW)
        all_time = reader.usage_report(days=60, now=NOW)
    assert (today.runs, today.timed_out, today.cancelled) == (3, 1, 1)
    assert today.mean_time_to_recovery_ms is None
    assert (all_time.runs, all_time.failed, all_time.actual_usd) == (5, 1, 5.3)


def test_estimator_error_per_workflow(history: Path) -> None:
    with HistoryReader(history) as reader:
        assert reader.estimator_error() == (2, pytest.approx(20.0))
        assert reader.estimator_error("docs") == (1, pytest.approx(30.0))
        assert reader.estimator_error("nothing") == (0, None)


def test_absent_database_reads_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none" / "history.db"
    with HistoryReader(path) as reader:
        assert reader.list_runs() == []
        report = reader.usage_report(days=7, now=NOW)
    assert (report.runs, report.success_rate, report.by_day) == (0, 0.0, [])
    assert not path.parent.exists()
