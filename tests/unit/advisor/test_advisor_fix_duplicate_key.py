"""duplicate-dict-key: a repeated entry with the same constant value is removed (safe);
every case where removing an entry could change the dictionary gets no fix."""

from __future__ import annotations

import ast

import pytest
from advisor_testlib import URI, findings

from keel.advisor.edits import apply_text_edits
from keel.advisor.fixes import rule_fix


def _fix(code):
    found = findings(code, "duplicate-dict-key")
    assert len(found) == 1, found
    return found[0], rule_fix(code, URI, found[0].id)


def _value(code):
    return eval(compile(ast.parse(code, mode="eval"), "<dict>", "eval"))  # noqa: S307


@pytest.mark.parametrize(("code", "expected"), [
    ("{'a': 1, 'b': 2, 'a': 1}", "{'a': 1, 'b': 2}"),
    ("{'a': 1, 'a': 1, 'b': 2}", "{'a': 1, 'b': 2}"),
    ("{'a': 1, 'a': 1,}", "{'a': 1,}"),
    ("{\n    'ნომერი': 'sectnum',\n    'ნომერი': 'sectnum',\n    'x': 'y',\n}",
     "{\n    'ნომერი': 'sectnum',\n    'x': 'y',\n}"),
    ("{\n    'a': None,\n    'a': None,\n}", "{\n    'a': None,\n}"),
    ("{'a': 1, 'a': 1, **rest}", "{'a': 1, **rest}"),
    ("{**rest, 'a': 1, 'a': 1}", "{**rest, 'a': 1}"),
    ("{b'k': 1.5, 'k': 1.5, b'k': 1.5}", "{b'k': 1.5, 'k': 1.5}"),
])
def test_repeated_entry_with_the_same_value_is_removed_safely(code, expected):
    found, fix = _fix(code)
    assert found.fixable and found.fix_safety == "safe"
    assert fix.safety == "safe" and fix.title == "Remove the repeated entry"
    fixed = apply_text_edits(code, fix.edits)
    assert fixed == expected
    rest = {"a": 5, "k": 7}
    assert list(eval(fixed, {"rest": rest}).items()) == list(  # noqa: S307
        eval(code, {"rest": rest}).items())  # noqa: S307
    assert findings(fixed, "duplicate-dict-key") == []


@pytest.mark.parametrize("code", [
    "{'a': 1, 'a': 2}",                       # which value was meant is the author's call
    "{'a': 1, **rest, 'a': 1}",               # rest may set 'a' in between
    "{'a': 1, k: 2, 'a': 1}",                 # k may be 'a'
    "{1: 'x', True: 'y', 1: 'x'}",            # True is the key 1
    "{1: 'x', 1.0: 'y', 1: 'x'}",             # so is 1.0
    "{'a': 1, 'a': 1.0}",                     # equal values of another type
    "{'a': f(), 'a': f()}",                   # a call: evaluated twice, maybe different
    "{'a': [], 'a': []}",                     # two different objects
    "{'a': 1,  # why\n 'a': 1}",              # a comment would be lost
    "{'a': 1, 'a': (1)}",                     # parentheses: the text is not 'key: value'
    "{'a': 1, 'b': 2, 'a': 1, 'b': 3}",       # 'a' is fine, but test 'b' below
])
def test_any_doubt_leaves_the_duplicate_without_fix(code):
    for found in findings(code, "duplicate-dict-key"):
        if "'a'" in found.message and code.startswith("{'a': 1, 'b': 2, 'a': 1, 'b'"):
            assert found.fixable  # the control: 'a' repeats with the same value
            continue
        assert not found.fixable and found.fix_safety is None, code
        assert rule_fix(code, URI, found.id) is None
