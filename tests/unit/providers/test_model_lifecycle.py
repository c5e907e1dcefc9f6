"""Issue 26 point 6: retired and retiring models, from the registry, the registry file and the
providers' own model lists (httpx MockTransport: no network)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from keel.protocol.settings import ProviderSettings, Settings, TierModels
from keel.providers import model_facts, registry, registry_file
from keel.providers.registry_check import check_lifecycle, validate_models

KEYS = {"ANTHROPIC_API_KEY": "sk-ant-test", "OPENAI_API_KEY": "sk-test"}


@pytest.fixture(autouse=True)
def clean_registry():
    registry_file.install(None)
    model_facts.forget_listed()
    yield
    registry_file.install(None)
    model_facts.forget_listed()


def _settings(kind: str, **models: str) -> Settings:
    return Settings(providers=[ProviderSettings(id="p", kind=kind, models=TierModels(**models))])


def test_a_retired_configured_model_fails_naming_the_replacement():
    check = check_lifecycle(_settings("anthropic", cheap="claude-3-5-haiku-20241022"),
                            date(2026, 12, 5))
    assert check.status == "fail"
    assert "claude-3-5-haiku-20241022 was retired on 2026-02-19" in check.message
    assert "use claude-haiku-4-5 instead" in check.message and check.fix


def test_a_model_retiring_within_30_days_warns_and_later_passes():
    soon = check_lifecycle(_settings("openai", premium="o3"), date(2026, 11, 20))
    assert soon.status == "warn"
    assert "o3 retires on 2026-12-11 (in 21 days); use gpt-5.1 instead" in soon.message
    early = check_lifecycle(_settings("openai", premium="o3"), date(2026, 9, 1))
    assert early.status == "pass" and "deprecated" in early.message


def test_the_default_models_are_neither_retired_nor_retiring_today():
    """The registry's defaults, against the providers' deprecation pages (model_facts)."""
    check = check_lifecycle(Settings(), date(2026, 12, 5))
    assert check.status == "pass", check.message
    for kind in ("anthropic", "openai"):
        for model in registry.TIER_DEFAULTS[kind].values():
            assert model_facts.lifecycle_problem(model, date(2026, 12, 5)) is None or \
                model_facts.lifecycle_problem(model, date(2026, 12, 5))[0] == "deprecated"


def test_a_newer_model_of_a_retired_family_is_not_retired():
    assert model_facts.lifecycle_problem("gpt-5.1", date(2027, 1, 1)) is None
    assert model_facts.lifecycle_problem("claude-sonnet-4-5", date(2027, 1, 1)) is None
    assert model_facts.lifecycle_problem("claude-sonnet-4-20250514", date(2027, 1, 1))[0] == \
        "retired"


def test_the_registry_file_dates_a_model(tmp_path: Path):
    path = tmp_path / "r.toml"
    path.write_text('[models."corp-model"]\nretires = 2026-12-01\nreplacement = "corp-2"\n',
                    encoding="utf-8")
    registry_file.install(registry_file.load(path))
    check = check_lifecycle(_settings("openai", capable="corp-model"), date(2026, 12, 5))
    assert check.status == "fail" and "use corp-2 instead" in check.message


def _listing(models: list[dict]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(
        200, json={"object": "list", "data": models}))


async def test_a_shutdown_date_in_the_providers_model_list_is_read():
    """OpenAI lists `shutdown_date`; a model still listed but past it is an error."""
    settings = _settings("openai", cheap="gpt-4o-mini", capable="corp-x", premium="gpt-5.1")
    models = [{"id": "gpt-4o-mini", "object": "model", "shutdown_date": None},
              {"id": "corp-x", "object": "model", "shutdown_date": "2026-11-30"},
              {"id": "gpt-5.1", "object": "model"}]
    report = await validate_models(settings, KEYS, network=True, today=date(2026, 12, 5),
                                   transport=_listing(models))
    by_id = {c.id: c for c in report.checks}
    assert by_id["models.lifecycle"].status == "fail"
    assert "corp-x was retired on 2026-11-30" in by_id["models.lifecycle"].message
    assert by_id["models.served:p"].status == "fail"
    assert report.ok is False
    # Without the network the list is not read: nothing says corp-x is retired.
    model_facts.forget_listed()
    offline = await validate_models(settings, KEYS, today=date(2026, 12, 5))
    assert {c.id: c for c in offline.checks}["models.lifecycle"].status == "pass"


async def test_hostile_dates_in_a_model_list_are_ignored():
    settings = _settings("openai", cheap="gpt-5.1", capable="gpt-5.1", premium="gpt-5.1")
    models = [{"id": "gpt-5.1", "shutdown_date": "soon"}, {"id": "x", "shutdown_date": True},
              {"id": "y", "deprecation_date": ["2020-01-01"]}]
    report = await validate_models(settings, KEYS, network=True, today=date(2026, 12, 5),
                                   transport=_listing(models))
    assert {c.id: c for c in report.checks}["models.lifecycle"].status == "pass"


def test_the_models_health_component_names_a_retired_model(tmp_path: Path):
    from keel.app.model_registry import assess_registry
    from keel.app.state import KeelApp

    app = KeelApp(workspace_folders=[tmp_path], workspace_trusted=True, env={})
    app.apply_settings({"providers": [{"id": "c", "kind": "anthropic",
                                       "models": {"cheap": "claude-3-5-haiku"}}]}, "test")
    status, detail, fix = assess_registry(app, today=date(2026, 12, 5))
    assert status == "degraded"
    assert "claude-3-5-haiku was retired on 2026-02-19; use claude-haiku-4-5 instead" in detail
    app.apply_settings({"providers": [{"id": "o", "kind": "openai",
                                       "models": {"premium": "o3"}}]}, "test")
    status, detail, fix = assess_registry(app, today=date(2026, 11, 20))
    assert status == "ok" and "warning" in detail and "use gpt-5.1 instead" in detail
    app.close()
