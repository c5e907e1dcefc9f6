"""Report warnings: the anomalies that make cost figures untrustworthy, and honest savings."""

from __future__ import annotations

from keel.records import StageRecord

from .conftest import TODAY, call, run


def codes(report) -> dict[str, int]:
    return {w.code: w.count for w in report.warnings}


def test_a_clean_history_has_no_warnings_and_states_its_baseline(history):
    history.runs(["succeeded"] * 3)
    report = history.report()
    assert report.warnings == []
    assert report.savings_usd == round(3 * (0.05 - 0.01), 6)
    assert "premium-tier" in report.baseline_definition


def test_negative_and_implausible_costs_are_warned(history):
    history.runs(["succeeded"], actual=-0.5)
    history.runs(["succeeded"], actual=75.0, baseline=80.0)
    history.runs(["succeeded"])
    history.recorder.model_call(call("run-3", usd=-0.01))
    history.recorder.model_call(call("run-3", usd=12.0))
    found = codes(history.report())
    assert found == {"cost.negative": 2, "cost.implausible": 2}


def test_runs_with_a_zero_baseline_are_left_out_of_savings(history):
    history.runs(["succeeded"] * 2, actual=0.10, baseline=0.40)
    history.runs(["succeeded"], actual=0.25, baseline=0.0)
    report = history.report()
    assert codes(report) == {"baseline.unmeasured": 1}
    assert "$0.2500" in report.warnings[0].message
    # Old arithmetic would claim 0.80 - 0.45 = 0.35; only measured runs count: 0.80 - 0.20.
    assert report.savings_usd == 0.6
    assert report.actual_usd == 0.45


def test_providers_have_no_baseline_so_no_negative_savings(history):
    history.runs(["succeeded"], actual=0.10, baseline=0.40)
    history.recorder.model_call(call("run-1", usd=0.10))
    report = history.report()
    assert [(p.key, p.actual_usd, p.savings_usd) for p in report.by_provider] == [
        ("anthropic", 0.1, 0.0)]


def test_calls_priced_with_a_model_missing_from_the_registry_are_warned(history):
    history.runs(["succeeded"])
    for model in ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-unheard-of"):
        history.recorder.model_call(call("run-1", model=model))
    history.recorder.model_call(call("run-1", provider="ollama", model="llama3.2:3b", usd=0.0))
    report = history.report()
    assert codes(report) == {"model.unpriced": 1}
    assert "'claude-unheard-of'" in report.warnings[0].message


def _estimated_run(history, day: str, estimated: int, actual: int = 1000) -> None:
    history._made += 1
    record = run(f"est-{history._made}", "succeeded", at=f"{day}T10:00:00Z")
    record.stages = [StageRecord(
        run_id=record.run_id, stage_id="s", status="succeeded", tier="cheap",
        provider="anthropic", model="claude-haiku-4-5", attempts=1, fallback_used=False,
        input_tokens=actual, output_tokens=0, usd=0.01, duration_ms=10,
        estimated_input_tokens=estimated, estimated_output_tokens=0)]
    history.recorder.run_started(record)
    history.recorder.run_finished(record)


def test_days_whose_estimates_missed_the_band_quoted_for_them_are_warned(history):
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        for _ in range(4):
            _estimated_run(history, day, 1100)  # 10 % off: well inside the ±35 % prior
    assert "estimate.outside_band" not in codes(history.report())
    for _ in range(3):
        _estimated_run(history, TODAY, 1500)  # 50 %: outside the ±10 % band earned so far
    report = history.report()
    assert codes(report) == {"estimate.outside_band": 3}
    assert "on 1 days" in report.warnings[0].message and "3 of 15" in report.warnings[0].message


def test_dropped_history_events_make_the_report_incomplete(history, tmp_path):
    import sqlite3

    from keel.storage.events import record_drops

    history.runs(["succeeded"])
    assert history.recorder.flush(10)
    conn = sqlite3.connect(history.path)
    with conn:
        record_drops(conn, TODAY, 5)
    conn.close()
    assert codes(history.report()) == {"history.incomplete": 5}
