"""Settings degrade per field: one typo never costs the user their providers."""

from __future__ import annotations

import pytest

from keel.settings import load_settings

ANTHROPIC = {"id": "claude", "kind": "anthropic"}


def test_an_unknown_top_level_key_is_ignored_with_the_nearest_known_key_and_providers_stay():
    loaded = load_settings({"advisr": {"diagnostics": False}, "providers": [ANTHROPIC]})
    assert loaded.problems == (
        "settings.advisr: unknown setting (did you mean 'advisor'?); ignored",)
    assert [p.id for p in loaded.settings.providers] == ["claude"]


def test_an_unknown_nested_key_is_ignored_and_its_valid_siblings_kept():
    loaded = load_settings({"timeouts": {"bogusMs": 5, "analyzeMs": 2500, "runWorkflowsMs": 9}})
    assert loaded.settings.timeouts.analyze_ms == 2500
    assert "settings.timeouts.runWorkflowsMs: unknown setting (did you mean 'runWorkflowMs'?)" in (
        " | ".join(loaded.problems))
    assert any(p.startswith("settings.timeouts.bogusMs: unknown setting") for p in loaded.problems)


def test_an_invalid_value_takes_that_fields_default_only():
    loaded = load_settings({"advisor": {"thresholds": {"maxNesting": "deep", "maxComplexity": 3},
                                        "diagnostics": False}, "logLevel": "debug"})
    thresholds = loaded.settings.advisor.thresholds
    assert thresholds.max_nesting == 4 and thresholds.max_complexity == 3
    assert loaded.settings.advisor.diagnostics is False and loaded.settings.log_level == "debug"
    assert loaded.problem is not None and loaded.problem.startswith(
        "settings.advisor.thresholds.maxNesting:") and loaded.problem.endswith("using the default")


def test_an_invalid_provider_is_dropped_whole_and_the_others_stay_an_unknown_key_alone_is_ignored():
    loaded = load_settings({"providers": [
        {"id": "typo", "kind": "opnai"}, ANTHROPIC,
        {"id": "local", "kind": "openai", "baseUrl": "http://127.0.0.1:11434/v1", "model": "x"}]})
    assert [p.id for p in loaded.settings.providers] == ["claude", "local"]
    assert loaded.problems[0].startswith("settings.providers.0.kind:")
    assert loaded.problems[0].endswith("providers entry 0 ignored")
    # An unknown key inside a provider is ignored alone: the provider stays.
    assert loaded.problems[1] == (
        "settings.providers.2.model: unknown setting (did you mean 'models'?); ignored")


def test_a_provider_without_its_kind_is_dropped_not_half_kept():
    loaded = load_settings({"providers": [{"id": "nokind", "baseUrl": "https://example.test"},
                                          ANTHROPIC]})
    assert [p.id for p in loaded.settings.providers] == ["claude"]
    assert loaded.problems == (
        "settings.providers.0.kind: required setting missing; providers entry 0 ignored",)


def test_a_duplicate_provider_id_keeps_the_first_entry():
    loaded = load_settings({"providers": [ANTHROPIC, {"id": "claude", "kind": "openai"}]})
    assert [(p.id, p.kind) for p in loaded.settings.providers] == [("claude", "anthropic")]
    assert loaded.problems == (
        "settings.providers: provider id 'claude' appears twice; the later entry is ignored",)


@pytest.mark.parametrize("raw", [{"advisor": 5}, {"advisor": None}, {"storage": ["x"]},
                                 {"providers": "claude"}, {"providers": [5, ANTHROPIC]}])
def test_a_wrongly_shaped_section_falls_back_alone(raw):
    loaded = load_settings({**raw, "logLevel": "error"})
    assert loaded.problems and loaded.settings.log_level == "error"


def test_thousands_of_unknown_keys_are_all_named_and_nothing_else_is_lost():
    raw = {f"junk{i}": i for i in range(2000)} | {"providers": [ANTHROPIC]}
    loaded = load_settings(raw)
    assert len(loaded.problems) == 2000
    assert [p.id for p in loaded.settings.providers] == ["claude"]


def test_the_app_keeps_valid_settings_and_says_once_what_it_ignored():
    from keel.app.state import SHOWN_PROBLEMS, KeelApp

    app = KeelApp(worker_pool_size=1)
    shown: list[str] = []
    app.notifier.show_message = lambda level, text: shown.append(text)  # type: ignore[method-assign]
    try:
        raw = {"advisr": {}, "providers": [ANTHROPIC]} | {f"x{i}": 1 for i in range(20)}
        app.apply_settings(raw, "initializationOptions.settings")
        assert [p.id for p in app.settings.providers] == ["claude"]
        config = app.monitor.component("config")
        assert config.status == "degraded" and "advisr" in config.detail
        assert f"(+{21 - SHOWN_PROBLEMS} more)" in config.detail
        assert len(shown) == 1 and "did you mean 'advisor'" in shown[0]
        assert "Your other settings are in force." in shown[0]
        app.apply_settings({"providers": [ANTHROPIC]}, "initializationOptions.settings")
        assert app.monitor.component("config").status == "ok"
    finally:
        app.close()
