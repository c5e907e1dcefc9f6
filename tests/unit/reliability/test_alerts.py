"""Alert thresholds: defaults, overrides in settings, minimum samples, and the health component."""

from __future__ import annotations

import pytest

from keel.protocol.reliability import AlertSettings
from keel.reliability.alerts import component_status, evaluate
from keel.reliability.metrics import (
    CONFIG_ERROR_RATE,
    FALLBACK_RATE,
    HISTORY_WRITE_FAILURE_RATE,
    MTTR,
    REQUEST_FAILURE_RATE,
    SUCCESS_RATE,
    TIMEOUT_RATE,
    metric,
)
from keel.settings import load_settings

# metric, (value just under warning, at warning, at critical) as numerator over 1000
HIGHER_IS_WORSE = [
    (TIMEOUT_RATE, (49, 50, 100)),
    (FALLBACK_RATE, (99, 100, 250)),
    (CONFIG_ERROR_RATE, (49, 50, 100)),
    (REQUEST_FAILURE_RATE, (49, 50, 150)),
    (HISTORY_WRITE_FAILURE_RATE, (9, 10, 50)),
]


def levels(metrics, settings=None):
    return [(a.metric, a.level) for a in evaluate(metrics, settings or AlertSettings())]


@pytest.mark.parametrize(("metric_id", "points"), HIGHER_IS_WORSE)
def test_default_thresholds_of_rates_where_higher_is_worse(metric_id, points):
    below, warning, critical = points
    assert levels([metric(metric_id, below, 1000)]) == []
    assert levels([metric(metric_id, warning, 1000)]) == [(metric_id, "warning")]
    assert levels([metric(metric_id, critical, 1000)]) == [(metric_id, "critical")]


def test_success_rate_alerts_when_it_falls_to_its_thresholds():
    assert levels([metric(SUCCESS_RATE, 951, 1000)]) == []
    assert levels([metric(SUCCESS_RATE, 950, 1000)]) == [(SUCCESS_RATE, "warning")]
    assert levels([metric(SUCCESS_RATE, 800, 1000)]) == [(SUCCESS_RATE, "critical")]


def test_mean_time_to_recovery_alerts_at_one_and_five_minutes_from_one_recovery():
    assert levels([metric(MTTR, 59_999, 1)]) == []
    assert levels([metric(MTTR, 60_000, 1)]) == [(MTTR, "warning")]
    assert levels([metric(MTTR, 2 * 300_000, 2)]) == [(MTTR, "critical")]


def test_a_rate_over_fewer_than_min_samples_never_alerts():
    assert levels([metric(TIMEOUT_RATE, 19, 19)]) == []
    assert levels([metric(TIMEOUT_RATE, 20, 20)]) == [(TIMEOUT_RATE, "critical")]
    assert levels([metric(TIMEOUT_RATE, 3, 3)], AlertSettings(min_samples=3)) != []


def test_an_alert_names_value_threshold_and_level_and_critical_ones_come_first():
    alerts = evaluate([metric(FALLBACK_RATE, 12, 100), metric(TIMEOUT_RATE, 30, 100,
                                                              key=None)], AlertSettings())
    assert [(a.metric, a.level, a.value, a.threshold) for a in alerts] == [
        (TIMEOUT_RATE, "critical", 0.3, 0.1), (FALLBACK_RATE, "warning", 0.12, 0.1)]
    assert "30.0% (30 of 100)" in alerts[0].message and "10.0%" in alerts[0].message
    assert alerts[0].fix


def test_thresholds_are_overridable_in_settings():
    load = load_settings({"alerts": {"timeoutRate": {"warning": 0.3, "critical": 0.5},
                                     "minSamples": 5}})
    assert load.problem is None
    assert levels([metric(TIMEOUT_RATE, 2, 10)], load.settings.alerts) == []
    assert levels([metric(TIMEOUT_RATE, 3, 10)], load.settings.alerts) == [
        (TIMEOUT_RATE, "warning")]


@pytest.mark.parametrize("bad", [
    {"timeoutRate": {"warning": 0.2, "critical": 0.1}},
    {"successRate": {"warning": 0.8, "critical": 0.9}},
    {"fallbackRate": {"warning": -1, "critical": 0.1}},
    {"timeoutRat": {"warning": 0.1, "critical": 0.2}},
])
def test_inconsistent_thresholds_are_a_config_problem_naming_the_field(bad):
    load = load_settings({"alerts": bad})
    assert load.problem is not None and load.problem.startswith("settings.alerts.")
    assert load.settings.alerts == AlertSettings()  # defaults kept


def test_health_component_is_degraded_on_warning_and_down_on_critical():
    assert component_status([], 2)[0] == "ok"
    warning = evaluate([metric(FALLBACK_RATE, 12, 100)], AlertSettings())
    status, detail, fix = component_status(warning, 2)
    assert status == "degraded" and "provider fallback rate" in detail and fix
    critical = evaluate([metric(FALLBACK_RATE, 12, 100), metric(TIMEOUT_RATE, 30, 100)],
                        AlertSettings())
    status, detail, _ = component_status(critical, 1)
    assert status == "down" and detail.startswith("critical: workflow timeout rate")
    assert "(+1 more)" in detail and "today" in detail
