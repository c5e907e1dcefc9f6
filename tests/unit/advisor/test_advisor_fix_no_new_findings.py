"""Applying a fix never trades one finding for another, and titles read as actions."""

from __future__ import annotations

from collections import Counter

import pytest
from advisor_testlib import URI, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.engine import analyze_source
from keel.advisor.fixes import FIXABLE_RULES, rule_fix
from keel.advisor.workspace import ExternalUse

FIXTURES = {
    "bare-except-pass": """
        import logging

        logging.captureWarnings(True)


        def f():
            try:
                work()
            except:
                pass
    """,
    "bare-except-continue-one-line": """
        from logging import getLogger

        for item in items:
            try: item()
            except: continue
    """,
    "bare-except-with-module-logger": """
        import logging

        log = logging.getLogger(__name__)


        def f():
            try:
                work()
            except:
                pass
    """,
    "bare-except-body": """
        try:
            work()
        except:
            cleanup()
    """,
    "swallowed-no-imports": """
        \"\"\"Docstring.\"\"\"
        try:
            work()
        except Exception:
            pass
    """,
    "swallowed-after-imports": """
        from __future__ import annotations

        import os
        import sys


        def f():
            try:
                os.remove(sys.argv[1])
            except BaseException:
                return None
    """,
    "unused-import": """
        import os
        import sys, json
        from typing import Any, cast

        print(sys, cast)
    """,
    "unused-variable": """
        def f():
            x = 1
            with open("p") as handle:
                pass
            try:
                work()
            except ValueError as error:
                raise
    """,
    "mutable-default": """
        def f(items=[], *, table: dict = {}):
            \"\"\"Doc.\"\"\"
            return items, table
    """,
    "unreachable-code": """
        def f():
            return 1
            print("never")
    """,
    "is-literal": """
        def f(x):
            return x is "yes" or x is not 2 or x is []
    """,
    "duplicate-dict-key": """
        ROLES = {
            "title": "title",
            "number": "sectnum",
            "number": "sectnum",
            "same": 1, "same": 1, "other": 2,
        }
    """,
    "shadowed-builtin": """
        def f(rows):
            for id in rows:
                type = id.kind
                print(f"{id}: {type}", [id for _ in rows])
            return id, type
    """,
    "fstring-no-placeholder": """
        def f(x):
            return f"plain" + F'and {{braces}}' + rf"raw\\d"
    """,
}

TITLES = {
    # unsafe: removing an import can drop its side effects (issue 23 Deliver 3 will prove more)
    "unused-import": {"Remove unused import 'os' (unsafe)", "Remove unused import 'json' (unsafe)",
                      "Remove unused import 'Any' (unsafe)"},
    "bare-except-body": {"Narrow bare except to Exception (unsafe)"},
    "bare-except-pass": {"Narrow bare except to Exception and log it (unsafe)"},
    "swallowed-no-imports": {"Log the swallowed exception (unsafe)"},
    "unreachable-code": {"Remove unreachable code (unsafe)", "Remove unreachable code"},
    "is-literal": {"Replace 'is' with '=='", "Replace 'is not' with '!='",
                   "Replace 'is' with '==' (unsafe)"},
    "fstring-no-placeholder": {"Remove the 'f' prefix"},
    "duplicate-dict-key": {"Remove the repeated entry"},
    "shadowed-builtin": {"Rename 'id' to 'id_'", "Rename 'type' to 'type_'"},
}


# these modules do not log, but another module of their project does (the fix adds
# 'import logging' only where logging is the project's style)
PROJECT_LOGS = {"swallowed-no-imports", "swallowed-after-imports"}


def _usage(name):
    return ExternalUse(logs=True) if name in PROJECT_LOGS else None


def _found(code, usage=None):
    return analyze_source(code, URI, usage=usage).findings


def _fixable(code, usage=None):
    return [f for f in _found(code, usage) if f.fixable]


@pytest.mark.parametrize("name", FIXTURES)
def test_each_fix_removes_its_finding_and_adds_none(name):
    code, usage = src(FIXTURES[name]), _usage(name)
    before = _fixable(code, usage)
    assert before, "the fixture must have a fixable finding"
    all_before = Counter(f.rule for f in _found(code, usage))
    titles = set()
    for finding in before:
        fix = rule_fix(code, URI, finding.id, usage=usage)
        assert fix is not None, finding
        titles.add(fix.title)
        fixed = apply_text_edits(code, fix.edits)
        assert "__import__" not in fixed
        after = Counter(f.rule for f in _found(fixed, usage))
        expected = all_before.copy()
        expected[finding.rule] -= 1
        new = {rule: n - expected[rule] for rule, n in after.items() if n > expected[rule]}
        assert new == {}, f"{fix.title}: new findings {new} in\n{fixed}"
    if name in TITLES:
        assert titles <= TITLES[name] and titles, titles


def test_fixtures_cover_every_fixable_rule():
    covered = {f.rule for name, code in FIXTURES.items()
               for f in _fixable(src(code), _usage(name))}
    assert covered == FIXABLE_RULES


def test_titles_are_actions_with_unsafe_marked():
    for name, code in FIXTURES.items():
        for finding in _fixable(src(code), _usage(name)):
            fix = rule_fix(src(code), URI, finding.id, usage=_usage(name))
            assert fix.title and fix.title[0].isupper() and not fix.title.endswith(".")
            assert not fix.title.startswith(("Removed", "Narrowed")), fix.title
            assert fix.title.endswith(" (unsafe)") == (fix.safety == "unsafe")
