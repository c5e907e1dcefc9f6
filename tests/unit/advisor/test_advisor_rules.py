"""One fixture per rule: positive and negative cases, exact zero-based ranges."""

from __future__ import annotations

from advisor_testlib import covered, findings, span, src

from keel.advisor.catalog import RULES


def test_every_rule_has_metadata():
    for spec in RULES.values():
        assert spec.title and spec.rationale and spec.suggestion
        assert spec.severity in ("info", "warning", "error")
        assert spec.category in ("size", "complexity", "maintainability", "correctness", "style")


def test_long_function():
    code = src("""
        def short():
            return 1


        def at_limit():
            a = 1
            b = 2
            c = 3
            return a + b + c


        def long_one(a):
            x = a
            y = x
            z = y
            w = z
            v = w
            return v
    """)
    found = findings(code, "long-function", max_function_lines=5)
    assert len(found) == 1
    f = found[0]
    assert span(f) == (11, 4, 11, 12)
    assert covered(code, f) == "long_one"
    assert "'long_one'" in f.message and "7 lines" in f.message and "limit 5" in f.message
    assert f.severity == "warning" and f.category == "size" and not f.fixable


def test_high_complexity():
    code = src("""
        def simple(x):
            if x:
                return 1
            return 0 if x else 2


        def branchy(x, y):
            if x and y:
                return 1
            for i in y:
                if i:
                    continue
            return 2
    """)
    found = findings(code, "high-complexity", max_complexity=4)
    assert [covered(code, f) for f in found] == ["branchy"]
    assert span(found[0]) == (6, 4, 6, 11)
    assert "complexity of 5 (limit 4)" in found[0].message
    assert "'branchy'" in found[0].message


def test_deep_nesting():
    code = src("""
        def deep(x):
            if x:
                for y in x:
                    while y:
                        y -= 1


        def flat(x):
            if x:
                pass
            elif x > 1:
                if x:
                    pass
            elif x > 2:
                pass
            else:
                with x:
                    pass
    """)
    found = findings(code, "deep-nesting", max_nesting=2)
    assert len(found) == 1
    assert span(found[0]) == (3, 12, 3, 17)
    assert covered(code, found[0]) == "while"
    assert "'deep'" in found[0].message and "3 levels deep (limit 2)" in found[0].message
    # else: + if nests one level deeper than elif
    nested_else = src("""
        def g(x):
            if x:
                pass
            else:
                if x:
                    pass
    """)
    assert len(findings(nested_else, "deep-nesting", max_nesting=1)) == 1
    assert findings(nested_else, "deep-nesting", max_nesting=2) == []


def test_too_many_parameters():
    code = src("""
        def many(a, b, c, *args, d, **kw):
            pass


        class K:
            def method(self, a, b, c):
                pass

            @staticmethod
            def static(a, b, c, d):
                pass

            @classmethod
            def build(cls, a, b):
                pass
    """)
    found = findings(code, "too-many-parameters", max_parameters=3)
    assert [covered(code, f) for f in found] == ["many", "static"]
    assert span(found[0]) == (0, 4, 0, 8)
    assert "6 parameters (limit 3): a, b, c, *args, d, **kw" in found[0].message
    assert "Method 'K.static'" in found[1].message


def test_large_class():
    code = src("""
        class Small:
            def a(self):
                pass


        class Big:
            def a(self):
                pass

            def b(self):
                pass

            def c(self):
                pass
    """)
    found = findings(code, "large-class", max_class_lines=6, max_class_methods=2)
    assert len(found) == 1
    f = found[0]
    assert span(f) == (5, 6, 5, 9) and covered(code, f) == "Big"
    assert "9 lines long (limit 6)" in f.message and "3 methods (limit 2)" in f.message
    only_methods = findings(code, "large-class", max_class_lines=100, max_class_methods=2)
    assert "lines long" not in only_methods[0].message


def test_duplicate_code():
    code = src("""
        def first(items):
            total = 0
            for item in items:
                total += item.price
            return total


        def second(items):
            total = 0
            for item in items:
                # a comment and spacing change nothing
                total  +=  item.price
            return total * 2


        def third(items):
            total = 1
            return total
    """)
    found = findings(code, "duplicate-code", min_duplicate_lines=3)
    assert len(found) == 1
    f = found[0]
    assert span(f) == (8, 4, 11, 29)
    assert covered(code, f).startswith("total = 0") and covered(code, f).endswith("item.price")
    assert "duplicate lines 2-4" in f.message and "'second'" in f.message
    assert "'first'" in f.message
    # below the threshold nothing is reported
    assert findings(code, "duplicate-code", min_duplicate_lines=4) == []


def test_duplicate_code_reports_the_outermost_copy_once():
    body = src("""
        if x:
            a = 1
            b = 2
            c = 3
            d = 4
    """)
    indented = "".join("    " + line for line in body.splitlines(keepends=True))
    code = "def f(x):\n" + indented + "\n\ndef g(x):\n" + indented
    found = findings(code, "duplicate-code", min_duplicate_lines=3)
    assert len(found) == 1
    assert found[0].range.start.line == 9 and found[0].range.end.line == 13
    assert covered(code, found[0]).startswith("if x:")


def test_long_boolean_expression():
    code = src("""
        def f(a, b, c, d):
            if a and b or c and d:
                return a and b and c
            return a and not (b or c) and d
    """)
    found = findings(code, "long-boolean-expression", max_boolean_operands=3)
    assert [covered(code, f) for f in found] == ["a and b or c and d",
                                                 "a and not (b or c) and d"]
    assert span(found[0]) == (1, 7, 1, 25)
    assert "4 operands (limit 3)" in found[0].message and "'f'" in found[0].message


def test_too_many_returns():
    code = src("""
        def f(x):
            def inner():
                return 1
            if x == 1:
                return 1
            if x == 2:
                return 2
            return 3


        def g(x):
            if x:
                return 1
            return 2
    """)
    found = findings(code, "too-many-returns", max_returns=2)
    assert [covered(code, f) for f in found] == ["f"]
    assert span(found[0]) == (0, 4, 0, 5)
    assert "3 return statements (limit 2)" in found[0].message


def test_mutable_default_argument():
    code = src("""
        def f(a, b=[], *, c={}, d=None, e=list()):
            pass


        def g(a=(), b=None, c=frozenset(), d="x"):
            pass


        handler = lambda x=set(): x
    """)
    found = findings(code, "mutable-default-argument")
    assert [covered(code, f) for f in found] == ["[]", "{}", "list()", "set()"]
    assert span(found[0]) == (0, 11, 0, 13)
    assert "Parameter 'b' of 'f'" in found[0].message
    assert [f.fixable for f in found] == [True, True, True, False]  # no fix for lambdas


def test_bare_except():
    code = src("""
        def f():
            try:
                work()
            except:
                pass
            try:
                work()
            except:
                cleanup()
                raise
    """)
    found = findings(code, "bare-except")
    assert len(found) == 1
    assert span(found[0]) == (3, 4, 3, 10) and covered(code, found[0]) == "except"
    # it discards the exception, so the fix would log it: not offered in a module that
    # never logs (test_advisor_fix_logging_style.py)
    assert "'f'" in found[0].message and not found[0].fixable


def test_swallowed_exception():
    code = src("""
        def f():
            try:
                work()
            except Exception:
                pass
            try:
                work()
            except (ValueError, Exception) as err:
                return None
            try:
                work()
            except Exception as err:
                log(err)
            try:
                work()
            except ValueError:
                pass
            for x in y:
                try:
                    work()
                except BaseException:
                    continue
            try:
                work()
            except Exception as err:
                return err
    """)
    found = findings(code, "swallowed-exception")
    assert [covered(code, f) for f in found] == [
        "except Exception", "except (ValueError, Exception)", "except BaseException"]
    assert span(found[0]) == (3, 4, 3, 20)


def test_unreachable_code():
    code = src("""
        def f(x):
            for i in x:
                if i:
                    continue
                    print(i)
                break
                x = 1
            if x:
                return 1
            print("reachable")
            return x
            print("never")
            print("again")
    """)
    found = findings(code, "unreachable-code")
    assert [span(f) for f in found] == [(4, 12, 4, 20), (6, 8, 6, 13), (11, 4, 12, 18)]
    assert found[0].severity == "error" and found[0].category == "correctness"
    assert "2 statements" in found[2].message and "'return' on line 11" in found[2].message
    assert all(f.fixable for f in found)


def test_shadowed_builtin():
    code = src("""
        import json as list


        def _max(id, *, type=None):
            input = 1
            for len in []:
                pass
            sum = 2
            sum = 3
            return [str for str in ()]


        class C:
            id = 1

            def filter(self):
                pass
    """)
    found = findings(code, "shadowed-builtin")
    # a module-level 'import json as list' is the module's API, like io's 'open'
    assert [covered(code, f) for f in found] == ["id", "type", "input", "len", "sum"]
    assert span(found[0]) == (3, 9, 3, 11)
    assert "Parameter 'id' of '_max' shadows the builtin 'id'" in found[0].message


def test_unused_import():
    code = src('''
        """Doc."""
        from __future__ import annotations

        import os
        import sys, json
        from typing import TYPE_CHECKING, Optional
        from collections import OrderedDict as OD
        import xml.etree.ElementTree
        import re as re
        from . import sibling

        if TYPE_CHECKING:
            from decimal import Decimal

        __all__ = ["sibling"]


        def f(x: "Decimal") -> Optional[int]:
            return sys.maxsize
    ''')
    found = findings(code, "unused-import")
    assert [covered(code, f) for f in found] == ["os", "json", "OrderedDict as OD"]
    assert span(found[1]) == (4, 12, 4, 16)
    assert "'json' is imported but never used" in found[1].message
    assert "'OD' (from collections)" in found[2].message
    assert all(f.fixable for f in found)
    # an __init__.py re-exports what it imports
    from keel.advisor.engine import analyze_source
    init = analyze_source(code, "file:///pkg/__init__.py").findings
    assert not [f for f in init if f.rule == "unused-import"]


def test_unused_variable():
    code = src("""
        def f(items):
            unused = 1
            _ignored = 2
            used = 3
            total = 0
            total += used
            a, b = items
            for i in items:
                pass
            with open("x") as fh:
                pass
            try:
                pass
            except ValueError as err:
                pass
            if (n := len(items)) > 1:
                pass
            result = compute()

            def inner():
                return outer_read
            outer_read = 5
            return inner


        def g():
            x = 1
            return locals()
    """)
    found = findings(code, "unused-variable")
    assert [covered(code, f) for f in found] == ["unused", "fh", "err", "n", "result"]
    assert span(found[0]) == (1, 4, 1, 10)
    assert span(found[2]) == (13, 25, 13, 28)
    assert "'unused' in 'f' is assigned but never read" in found[0].message
    # walrus and calls with possible side effects are reported but not fixed
    assert [f.fixable for f in found] == [True, True, True, False, False]
