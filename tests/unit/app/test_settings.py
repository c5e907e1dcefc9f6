from __future__ import annotations

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
