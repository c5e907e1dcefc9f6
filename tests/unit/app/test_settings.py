from __future__ import annotations

import pytest

from keel.settings import configured_deadline_ms, effective_deadline_ms, load_settings


def test_valid_settings_load_and_vscode_section_is_accepted():
    loaded = load_settings({"keel": {"logLevel": "debug", "timeouts": {"analyzeMs": 5000}}})
    assert loaded.problem is None and loaded.settings.log_level == "debug"
    assert configured_deadline_ms(loaded.settings, "keel/analyze") == 5000
    assert configured_deadline_ms(loaded.settings, "keel/health") == 5000
    assert configured_deadline_ms(loaded.settings, "keel/estimateCost") == 3000


def test_invalid_settings_fall_back_to_defaults_and_name_the_field():
    loaded = load_settings({"advisor": {"thresholds": {"maxComplexity": 0}}}, "settings")
    assert loaded.problem.startswith("settings.advisor.thresholds.maxComplexity")
    assert loaded.settings.advisor.thresholds.max_complexity == 10
    assert load_settings({"nonsense": 1}).problem.startswith("settings.nonsense")
    assert "appears twice" in load_settings(
        {"providers": [{"id": "a", "kind": "offline"}, {"id": "a", "kind": "offline"}]}).problem


def test_request_timeout_only_shortens():
    settings = load_settings({"timeouts": {"analyzeMs": 2000}}).settings
    assert effective_deadline_ms(settings, "keel/analyze", 500) == 500
    assert effective_deadline_ms(settings, "keel/analyze", 90_000) == 2000
    assert effective_deadline_ms(settings, "keel/analyze", None) == 2000


# Each wire key of docs/configuration.md "timeouts", written by hand so the table cannot drift.
TIMEOUT_KEYS = {
    "keel/health": "healthMs",
    "keel/preflight": "preflightMs",
    "keel/listWorkflows": "listWorkflowsMs",
    "keel/estimateCost": "estimateCostMs",
    "keel/runWorkflow": "runWorkflowMs",
    "keel/cancelRun": "cancelRunMs",
    "keel/analyze": "analyzeMs",
    "keel/generateFix": "generateFixMs",
    "keel/runs": "runsMs",
    "keel/report": "reportMs",
    "keel/validateModels": "validateModelsMs",
}


@pytest.mark.parametrize("method", sorted(TIMEOUT_KEYS))
def test_every_timeouts_setting_overrides_its_method_deadline(method):
    from keel.protocol.methods import METHODS

    default = METHODS[method].deadline_ms
    longer = default + 12_345  # longer than the default: only the setting can produce it
    loaded = load_settings({"timeouts": {TIMEOUT_KEYS[method]: longer}})
    assert loaded.problem is None
    assert configured_deadline_ms(loaded.settings, method) == longer
    assert effective_deadline_ms(loaded.settings, method, None) == longer
    assert effective_deadline_ms(loaded.settings, method, 100) == 100


def test_every_request_names_a_timeouts_setting_that_exists():
    from keel.protocol.methods import REQUESTS
    from keel.protocol.settings import TimeoutSettings

    assert {m.name for m in REQUESTS} == set(TIMEOUT_KEYS)
    for spec in REQUESTS:
        assert spec.timeout_setting in TimeoutSettings.model_fields, spec.name


@pytest.mark.parametrize(("raw", "field"), [
    ({"advisor": {"maxFileBytes": 100_000_000_000}}, "settings.advisor.maxFileBytes"),
    ({"storage": {"dir": "/tmp/history\x00here"}}, "settings.storage.dir"),
    ({"storage": {"dir": "/x" * 3000}}, "settings.storage.dir"),
    ({"storage": {"maxBytes": 10**15}}, "settings.storage.maxBytes"),
    ({"storage": {"retentionDays": 10**9}}, "settings.storage.retentionDays"),
    ({"timeouts": {"runWorkflowMs": 10**12}}, "settings.timeouts.runWorkflowMs"),
    ({"advisor": {"thresholds": {"maxNesting": 10**9}}}, "settings.advisor.thresholds.maxNesting"),
    ({"providers": [{"id": "a", "kind": "openai", "baseUrl": "http://x\x00"}]},
     "settings.providers.0.baseUrl"),
    ({"telemetry": {"otlpEndpoint": "http://x/" * 500}}, "settings.telemetry.otlpEndpoint"),
    ({"providers": [{"id": "a", "kind": "openai", "baseUrl": ""}]}, "settings.providers.0.baseUrl"),
])
def test_absurd_settings_are_refused_by_name_and_the_defaults_kept(raw, field):
    loaded = load_settings(raw, "settings")
    assert loaded.problem is not None and loaded.problem.startswith(field + ":")
    assert loaded.settings == load_settings(None).settings


def test_an_absurd_setting_degrades_config_with_one_message():
    from keel.app.state import KeelApp

    app = KeelApp(worker_pool_size=1)
    shown: list[str] = []
    app.notifier.show_message = lambda level, text: shown.append(text)  # type: ignore[method-assign]
    try:
        app.apply_settings({"advisor": {"maxFileBytes": 100_000_000_000}}, "settings")
        config = app.monitor.component("config")
        assert config.status == "degraded" and "advisor.maxFileBytes" in config.detail
        assert len(shown) == 1 and "advisor.maxFileBytes" in shown[0]
        assert app.settings.advisor.max_file_bytes == 2 * 1024 * 1024
    finally:
        app.close()


def test_an_empty_string_still_means_unset_for_paths():
    loaded = load_settings({"storage": {"dir": ""}, "telemetry": {"otlpEndpoint": ""}})
    assert loaded.problem is None
