"""Fault injection on settings: whatever one field holds, every other field stays in force.

For every field of the settings tree, a misspelt sibling key and a hostile value are
injected into an otherwise valid object; the providers (and the other fields) must
come through unchanged, and the problem must name the injected location.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keel.protocol.settings import Settings
from keel.settings import load_settings

VALID = {
    "logLevel": "debug",
    "timeouts": {"analyzeMs": 2500, "runWorkflowMs": 60_000},
    "providers": [{"id": "claude", "kind": "anthropic", "apiKeyEnv": "MY_KEY"},
                  {"id": "local", "kind": "openai", "baseUrl": "http://127.0.0.1:11434/v1"}],
    "storage": {"retentionDays": 30},
    "advisor": {"diagnostics": False, "thresholds": {"maxComplexity": 7}, "exclude": ["tests/"]},
    "telemetry": {"otlpEndpoint": ""},
}
BASELINE = load_settings(VALID).settings
assert load_settings(VALID).problems == ()

# Every dict location of VALID (including the root), as a key path.
SECTIONS: list[tuple[str, ...]] = [(), ("timeouts",), ("storage",), ("advisor",),
                                   ("advisor", "thresholds"), ("telemetry",)]
FIELDS: list[tuple[str, ...]] = [
    ("logLevel",), ("timeouts", "analyzeMs"), ("storage", "retentionDays"),
    ("advisor", "diagnostics"), ("advisor", "thresholds", "maxComplexity"), ("advisor", "exclude"),
    ("telemetry", "otlpEndpoint")]
HOSTILE = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
                    st.floats(allow_nan=True), st.text(max_size=50), st.just("\x00"),
                    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                          st.integers(), max_size=3))


def _at(data: dict, path: tuple[str, ...]) -> dict:
    for part in path:
        data = data[part]
    return data


def _providers(loaded) -> list[tuple[str, str]]:
    return [(p.id, p.kind) for p in loaded.settings.providers]


@settings(max_examples=150, deadline=None)
@given(section=st.sampled_from(SECTIONS), key=st.text(min_size=1, max_size=20), value=HOSTILE)
def test_an_unknown_key_anywhere_costs_nothing_else(section, key, value):
    raw = copy.deepcopy(VALID)
    target = _at(raw, section)
    if key in target:
        return
    target[key] = value
    loaded = load_settings(raw)
    assert _providers(loaded) == [("claude", "anthropic"), ("local", "openai")]
    if key not in Settings.model_fields:  # a snake_case spelling of a real key is accepted
        assert loaded.settings == BASELINE
        assert loaded.problems and ".".join(("settings", *section, key)) in loaded.problems[0]


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(FIELDS), value=HOSTILE)
def test_a_hostile_value_in_one_field_costs_only_that_field(field, value):
    raw = copy.deepcopy(VALID)
    _at(raw, field[:-1])[field[-1]] = value
    loaded = load_settings(raw)
    assert _providers(loaded) == [("claude", "anthropic"), ("local", "openai")]
    if loaded.problems:
        assert loaded.problems[0].startswith("settings." + ".".join(field))
        # every other field kept its valid value
        kept = loaded.settings.model_dump(by_alias=True)
        expected = BASELINE.model_dump(by_alias=True)
        _at(kept, field[:-1]).pop(field[-1])
        _at(expected, field[:-1]).pop(field[-1])
        assert kept == expected


@pytest.mark.parametrize("index", [0, 1])
@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(["id", "kind", "baseUrl", "apiKeyEnv", "models"]), value=HOSTILE)
def test_a_hostile_provider_field_costs_at_most_that_provider(index, key, value):
    raw = copy.deepcopy(VALID)
    raw["providers"][index][key] = value
    loaded = load_settings(raw)
    other = [("claude", "anthropic"), ("local", "openai")][1 - index]
    assert other in _providers(loaded)
    assert loaded.settings.advisor == BASELINE.advisor and loaded.settings.timeouts == BASELINE.timeouts
