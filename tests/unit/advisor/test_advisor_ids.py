"""Finding ids survive unrelated edits and change when the flagged code changes."""

from __future__ import annotations

import pytest
from advisor_testlib import findings, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.fixes import rule_fix

CODE = src("""
    import os
    import sys


    def load(path, opts={}):
        try:
            return open(path).read()
        except:
            pass


    class Store:
        def put(self, key, value=[]):
            result = 1
            if key and value and self and path and opts:
                return value
            return None
            print("dead")
""")


def _ids(code: str) -> dict[tuple[str, str], str]:
    """(rule, covered-ish key) -> id; keyed by rule and message, which carry no lines."""
    return {(f.rule, f.message): f.id for f in findings(code, max_boolean_operands=3)}


def test_ids_have_rule_prefix_and_are_unique():
    found = findings(CODE)
    ids = [f.id for f in found]
    assert len(ids) == len(set(ids)) > 5
    assert all(f.id.startswith(f.rule + "-") for f in found)


def test_same_code_same_ids():
    assert _ids(CODE) == _ids(CODE)


def test_ids_survive_lines_added_above_and_between():
    before = _ids(CODE)
    shifted = "# a new header comment\n\n\nimport json\nprint(json)\n" + CODE.replace(
        "class Store:", "def helper():\n    return 42\n\n\nclass Store:")
    after = _ids(shifted)
    for key, finding_id in before.items():  # (unreachable-code's message names a line)
        assert finding_id in after.values(), key
    moved = [f for f in findings(shifted) if f.rule == "unreachable-code"]
    assert moved[0].id in before.values()


def test_ids_survive_reindentation_free_edits_elsewhere_in_the_same_function():
    edited = CODE.replace('            return None\n', '            x = 2\n            return None\n')
    before = {f.rule: f.id for f in findings(CODE) if f.rule == "mutable-default-argument"
              and "value" in f.message}
    after = {f.rule: f.id for f in findings(edited) if f.rule == "mutable-default-argument"
             and "value" in f.message}
    assert before == after


def test_changed_code_changes_the_id():
    before = {f.rule: f.id for f in findings(CODE) if "opts" in f.message}
    after = {f.rule: f.id for f in findings(CODE.replace("opts={}", "opts={1: 2}"))
             if "opts" in f.message}
    assert before.keys() == after.keys() == {"mutable-default-argument"}
    assert before != after


def test_renaming_the_enclosing_definition_changes_the_id():
    before = [f.id for f in findings(CODE) if f.rule == "unused-variable"]
    after = [f.id for f in findings(CODE.replace("def put(", "def put_item("))
             if f.rule == "unused-variable"]
    assert len(before) == len(after) == 1 and before != after


def test_identical_findings_get_distinct_ids_that_survive_fixing_one():
    code = src("""
        def f():
            try:
                first()
            except:
                pass
            try:
                second()
            except:
                pass
    """)
    found = findings(code, "bare-except")
    assert len(found) == 2 and found[0].id != found[1].id
    fixed = code.replace("except:", "except Exception:", 1)
    remaining = findings(fixed, "bare-except")
    assert [f.id for f in remaining] == [found[1].id]


TWINS = src("""
    import logging


    def f():
        try:
            work()
        except Exception:
            pass
        try:
            work()
        except Exception:
            pass
""")


@pytest.mark.parametrize("fixed", [0, 1])
def test_fixing_one_of_two_identical_findings_keeps_the_others_id(fixed):
    """Regression: the survivor used to take the fixed finding's id (index among findings)."""
    found = findings(TWINS, "swallowed-exception")
    assert len(found) == 2 and found[0].id != found[1].id
    fix = rule_fix(TWINS, "file:///t.py", found[fixed].id)
    after = findings(apply_text_edits(TWINS, fix.edits), "swallowed-exception")
    assert [f.id for f in after] == [found[1 - fixed].id]


def test_identical_findings_keep_ids_across_an_unrelated_edit_in_the_same_function():
    before = [f.id for f in findings(TWINS, "swallowed-exception")]
    edited = TWINS.replace("def f():\n", "def f():\n    setup = prepare()\n    use(setup)\n")
    assert [f.id for f in findings(edited, "swallowed-exception")] == before
