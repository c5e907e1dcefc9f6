from __future__ import annotations

import pytest

from keel.scan.tokens import HEURISTIC_METHOD, count_tokens, count_tokens_bytes, method


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("x", 1),  # 0.2075 rounds to 0, but non-empty text is at least one token
        ("x" * 100, 21),  # 100 * 0.2075 = 20.75
        (" " * 40, 11),  # ten indentation runs: 10 * 1.0766 = 10.77
        ("a b c d", 2),  # 4 * 0.2075 + 3 * 0.3757 = 1.96
        ("é" * 10, 4),  # 20 UTF-8 bytes * 0.2075 = 4.15
        ("def f(x):\n    return x\n", 5),  # 18 * 0.2075 + 1 * 0.3757 + 1 * 1.0766 = 5.19
    ],
)
def test_known_texts_give_exact_counts(text: str, expected: int) -> None:
    assert count_tokens(text, "anthropic") == expected
    assert count_tokens(text.encode(), "openai") == expected


def test_bytes_and_text_agree_on_large_input() -> None:
    text = "    if value is None:\n        return default\n" * 500
    # 22,500 bytes, 8,000 spaces of which 1,500 four-space runs:
    # 0.2075 * 14,500 + 0.3757 * 2,000 + 1.0766 * 1,500 = 5375.05
    assert count_tokens(text) == count_tokens_bytes(text.encode()) == 5375


def test_method_names_the_heuristic_for_every_kind() -> None:
    assert method("anthropic") == method("openai") == method("offline") == HEURISTIC_METHOD
