"""Each metric's formula on a synthetic history (docs/reliability.md, "Metrics")."""

from __future__ import annotations

import sqlite3

from keel.reliability.metrics import (
    CONFIG_ERROR_RATE,
    FALLBACK_RATE,
    HISTORY_WRITE_FAILURE_RATE,
    MTTR,
    REQUEST_FAILURE_RATE,
    SUCCESS_RATE,
    TIMEOUT_RATE,
)
from keel.storage.events import record_drops

from .conftest import TODAY, call


def test_partial_and_interrupted_runs_count_in_the_totals_and_running_ones_nowhere(history, find):
    history.runs(["succeeded"] * 6 + ["partial", "interrupted", "timedOut", "running"])
    report = history.report()
    assert (report.runs, report.succeeded, report.partial, report.interrupted,
            report.timed_out, report.running) == (10, 6, 1, 1, 1, 1)
    success = find(report, SUCCESS_RATE)
    assert (success.numerator, success.denominator, success.value) == (6, 9, round(6 / 9, 6))
    assert success.met is False and success.target == 0.95 and not success.lower_is_better
    timeout = find(report, TIMEOUT_RATE)
    assert (timeout.numerator, timeout.denominator) == (1, 9) and timeout.met is False


def test_a_metric_with_nothing_to_measure_has_no_value(history, find):
    report = history.report()
    for metric_id in (SUCCESS_RATE, TIMEOUT_RATE, FALLBACK_RATE, CONFIG_ERROR_RATE,
                      REQUEST_FAILURE_RATE, HISTORY_WRITE_FAILURE_RATE, MTTR):
        found = find(report, metric_id)
        assert found.value is None and found.met is None and found.denominator == 0
    assert report.alerts == []


def test_fallback_rate_is_fallback_calls_over_model_calls(history, find):
    history.runs(["succeeded"])
    for n in range(20):
        history.recorder.model_call(call("run-1", fallback=n < 3))
    fallback = find(history.report(), FALLBACK_RATE)
    assert (fallback.numerator, fallback.denominator, fallback.value) == (3, 20, 0.15)
    assert fallback.met is False


def test_config_error_rate_is_starts_with_a_config_error_over_starts(history, find):
    for n in range(8):
        history.recorder.server_started(config_error=n == 0, at=f"{TODAY}T0{n}:00:00Z")
    history.recorder.server_started(config_error=True, at="2026-01-01T00:00:00Z")  # outside
    rate = find(history.report(), CONFIG_ERROR_RATE)
    assert (rate.numerator, rate.denominator, rate.value) == (1, 8, 0.125)


def test_request_failure_rate_overall_and_by_method(history, find):
    at = f"{TODAY}T09:00:00Z"
    for n in range(10):
        history.recorder.request_done("keel/health", failed=False, at=at)
        history.recorder.request_done("keel/estimateCost", failed=n < 4, at=at)
    report = history.report()
    overall = find(report, REQUEST_FAILURE_RATE)
    assert (overall.numerator, overall.denominator, overall.value) == (4, 20, 0.2)
    by_method = find(report, REQUEST_FAILURE_RATE, "keel/estimateCost")
    assert (by_method.numerator, by_method.denominator, by_method.value) == (4, 10, 0.4)
    assert find(report, REQUEST_FAILURE_RATE, "keel/health").value == 0.0


def test_history_write_failure_rate_is_drops_over_drops_plus_writes(history, find):
    history.runs(["succeeded"] * 3)  # 6 events: started + finished
    assert history.recorder.flush(10)
    conn = sqlite3.connect(history.path)
    with conn:
        conn.execute("UPDATE write_rollup SET day = ?", (TODAY,))  # written "today" by the clock
        record_drops(conn, TODAY, 2)
    conn.close()
    rate = find(history.report(), HISTORY_WRITE_FAILURE_RATE)
    assert (rate.numerator, rate.denominator) == (2, 8) and rate.value == 0.25


def test_the_recorder_counts_every_event_it_commits(history):
    history.runs(["succeeded"] * 4)
    assert history.recorder.flush(10)
    conn = sqlite3.connect(history.path)
    written = conn.execute("SELECT total(written) FROM write_rollup").fetchone()[0]
    conn.close()
    assert written == 8 == history.recorder.written


def test_mean_time_to_recovery_per_provider_from_first_failure_to_next_success(history, find):
    history.runs(["succeeded"])
    rec = history.recorder
    rec.model_call(call("run-1", at=f"{TODAY}T10:00:00Z", outcome="failed"))
    rec.model_call(call("run-1", at=f"{TODAY}T10:00:20Z", outcome="timedOut"))
    rec.model_call(call("run-1", at=f"{TODAY}T10:00:40Z"))  # recovered after 40 s
    rec.model_call(call("run-1", at=f"{TODAY}T11:00:00Z", outcome="failed"))
    rec.model_call(call("run-1", at=f"{TODAY}T11:00:20Z"))  # 20 s
    rec.model_call(call("run-1", at=f"{TODAY}T12:00:00Z", provider="openai", outcome="failed"))
    rec.model_call(call("run-1", at=f"{TODAY}T12:05:00Z", provider="openai"))  # 300 s
    report = history.report()
    anthropic = find(report, MTTR, "anthropic")
    assert (anthropic.value, anthropic.denominator, anthropic.met) == (30_000, 2, False)
    assert find(report, MTTR, "openai").value == 300_000
    assert find(report, MTTR).value == round((40_000 + 20_000 + 300_000) / 3)


def test_the_window_ends_today_and_reaches_back_days(history, find):
    history.runs(["timedOut"], at="2026-03-04T10:00:00Z")  # 7 days ago: only in a 7-day window
    history.runs(["succeeded"])
    assert find(history.report(days=6), TIMEOUT_RATE).numerator == 0
    assert find(history.report(days=7), TIMEOUT_RATE).numerator == 1
