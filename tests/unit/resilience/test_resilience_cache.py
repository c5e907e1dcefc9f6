"""The stale-answer cache: provider-independent keys and a bounded LRU."""

from __future__ import annotations

import pytest

from keel.resilience.cache import ResponseCache, cache_key


def test_key_is_stable_and_ignores_dict_order():
    a = cache_key(
        [{"role": "user", "content": "hi"}], tier="cheap", max_tokens=10, temperature=0.0, top_p=1
    )
    b = cache_key(
        [{"content": "hi", "role": "user"}], tier="cheap", max_tokens=10, top_p=1, temperature=0.0
    )
    assert a == b
    assert len(a) == 64 and int(a, 16) >= 0


@pytest.mark.parametrize(
    "changed",
    [
        {"prompt": "hello"},
        {"tier": "capable"},
        {"max_tokens": 11},
        {"system": "be terse"},
        {"temperature": 0.7},
    ],
)
def test_every_input_that_shapes_the_answer_changes_the_key(changed):
    base = {"prompt": "hi", "tier": "cheap", "max_tokens": 10}
    assert cache_key(**{**base, **changed}) != cache_key(**base)


def test_key_does_not_contain_the_prompt():
    assert "secret-prompt" not in cache_key("secret-prompt", tier="cheap")


def test_lru_evicts_the_least_recently_used():
    cache: ResponseCache[str] = ResponseCache(max_entries=2)
    cache.put("a", "1")
    cache.put("b", "2")
    assert cache.get("a") == "1"  # a is now the most recent
    cache.put("c", "3")
    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    assert (len(cache), cache.evictions, cache.hits) == (2, 1, 1)


def test_get_stale_marks_the_answer_stale_and_misses_are_none():
    cache: ResponseCache[str] = ResponseCache(max_entries=2)
    assert cache.get_stale("nope") is None
    cache.put("k", "v")
    answer = cache.get_stale("k")
    assert (answer.value, answer.stale) == ("v", True)


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        ResponseCache(max_entries=0)
