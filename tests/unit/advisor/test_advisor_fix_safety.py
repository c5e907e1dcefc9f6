"""Regressions: fixes that once changed what code does, findings that were noise.

Each test reproduces one reported case and fails on the engine before the fix.
"""

from __future__ import annotations

import pytest
from advisor_testlib import URI, findings, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.engine import analyze_source
from keel.advisor.fixes import rule_fix


def _rules(code: str, **thresholds) -> list[str]:
    return [f.rule for f in findings(code, **thresholds)]


# -- unused-import: the module's interface and effects stay ---------------


@pytest.mark.parametrize("code", [
    # fallback chain: removing the first import leaves the name undefined on one path
    "try:\n    import simplejson as json\nexcept ImportError:\n    import json\n",
    # availability probe
    "try:\n    import ssl\n    HAS_SSL = True\nexcept ImportError:\n    HAS_SSL = False\n",
    # submodule imported for its side effect (codec registration)
    "import encodings.idna\n",
    # names used only in strings
    "from typing import TextIO, cast\n\ndef f(x):\n    return cast('TextIO', x)\n",
    "from typing import TYPE_CHECKING, TypeVar\nif TYPE_CHECKING:\n    from a import Base\n"
    "T = TypeVar('T', bound='Base')\n",
    # pytest fixtures imported into a test module are used by parameter name
    "from .fixtures import tmp_repo\n\ndef test_it(tmp_repo):\n    pass\n",
    # explicit re-exports and suppression
    "from a import b as b\n",
    "import os  # noqa: F401\n",
    "import os  # noqa\n",
    "import os  # keel: ignore[unused-import]\n",
    # a public module re-exporting its private implementation; a dunder it sets
    "from _ssl import HAS_SNI, RAND_add\n",
    "from ._bootstrap import BuiltinImporter\n",
    "from _datetime import __doc__\n",
    "__all__ = ['open']\nfrom _lzma import _encode_filter_properties\n",
])
def test_unused_import_is_not_reported_for_interface_effects_or_string_uses(code):
    assert findings(code, "unused-import") == []


def test_unused_import_removal_is_unsafe_except_under_type_checking():
    code = "from typing import TYPE_CHECKING\nimport os\nif TYPE_CHECKING:\n    import decimal\n"
    found = {f.message.split("'")[1]: f for f in findings(code, "unused-import")}
    assert found["os"].fix_safety == "unsafe"
    assert found["decimal"].fix_safety == "safe"
    fix = rule_fix(code, URI, found["os"].id)
    assert fix.safety == "unsafe" and "other modules may import" in fix.safety_reason


# -- unreachable-code: the generator marker --------------------------------


def test_yield_after_raise_or_return_is_not_unreachable_code():
    code = src("""
        def empty():
            return
            yield

        def failing():
            raise ValueError("no")
            yield from ()
    """)
    assert findings(code, "unreachable-code") == []


def test_removing_dead_code_that_binds_a_name_is_unsafe():
    code = src("""
        x = 1

        def f():
            print(x)
            return
            x = 2

        def g():
            return
            print("dead")
    """)
    found = findings(code, "unreachable-code")
    assert [f.fix_safety for f in found] == ["unsafe", "safe"]


# -- mutable-default-argument ----------------------------------------------


def test_default_that_reads_a_name_the_function_rebinds_gets_no_fix():
    """Regression: 'def reader(lnum=[lnum])' became 'lnum=None' then 'lnum = [lnum]' ([None])."""
    code = "lnum = 3\n\ndef reader(lnum=[lnum]):\n    return lnum\n"
    (found,) = findings(code, "mutable-default-argument")
    assert not found.fixable and rule_fix(code, URI, found.id) is None


def test_annotation_that_is_not_a_type_gets_no_fix():
    """Regression: 'c: 1 = {}' became 'c: 1 | None = None', which raises at definition."""
    code = "def f(c: 1 = {}):\n    return c\n"
    (found,) = findings(code, "mutable-default-argument")
    assert not found.fixable and rule_fix(code, URI, found.id) is None


def test_mutable_default_fix_is_labelled_unsafe():
    code = "def f(items=[]):\n    return items\n"
    (found,) = findings(code, "mutable-default-argument")
    assert found.fix_safety == "unsafe"
    assert "pass None" in rule_fix(code, URI, found.id).safety_reason


def test_deliberate_private_cross_call_cache_is_not_reported():
    code = "def f(key, _cache={}):\n    return _cache.setdefault(key, key)\n"
    assert findings(code, "mutable-default-argument") == []


# -- noise ------------------------------------------------------------------


def test_too_many_returns_defaults_to_six_like_pylint_and_ruff():
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(5))
    code = f"def f(x):\n{body}    return -1\n"  # 6 returns: at the limit
    assert "too-many-returns" not in _rules(code)
    assert "too-many-returns" in _rules(code.replace("return -1", "if x:\n        return 9\n"
                                                     "    return -1"))


def test_long_function_does_not_count_the_docstring():
    doc = '    """' + "\n".join(["Doc."] * 30) + '\n    """\n'
    code = "def f():\n" + doc + "    x = 1\n" * 30 + "    return x\n"
    assert "long-function" not in _rules(code, max_function_lines=40)
    assert "long-function" in _rules(code, max_function_lines=30)


def test_api_names_that_shadow_builtins_are_not_reported():
    """Codec classes must take 'input' (Codec.encode(self, input, errors)): 491 findings;
    a module's public 'open' or 'compile' function is its API (codecs.open, re.compile)."""
    code = src("""
        from _io import open

        class Codec:
            def encode(self, input, errors='strict'):
                return input

            def _buffer_encode(self, input, errors, final):
                return input

        def encode(input):
            return input

        def open(path, dir=None):
            dir = dir or "."
            return path

        def __import__(name, globals=None, locals=None):
            return name

        dict = dict
    """)
    assert findings(code, "shadowed-builtin") == []
    private = src("""
        def _encode(input, float=float):
            def format(x):
                return x
            return input
    """)
    assert [f.message.split("'")[1] for f in findings(private, "shadowed-builtin")] == [
        "input", "format"]


# -- jump-in-finally ------------------------------------------------------------


def test_return_break_continue_in_finally_are_reported():
    code = src("""
        def f():
            for item in items:
                try:
                    work(item)
                finally:
                    if item:
                        continue
                    for other in item:
                        break
            try:
                work()
            finally:
                return 1
    """)
    found = findings(code, "jump-in-finally")
    assert [f.message.split("'")[1] for f in found] == ["continue", "return"]


# -- suppression ------------------------------------------------------------------


def test_file_level_suppression_and_codes():
    code = "import os\n\ndef f(x=[]):\n    return x\n"
    assert {"unused-import", "mutable-default-argument"} <= set(_rules(code))
    assert _rules("# ruff: noqa: F401\n" + code) == ["mutable-default-argument"]
    assert _rules("# keel: ignore-file[mutable-default-argument]\n" + code) == ["unused-import"]
    assert _rules("# keel: ignore-file\n" + code) == []
    assert _rules(code.replace("x=[]):", "x=[]):  # noqa: B006")) == ["unused-import"]
    assert _rules(code.replace("x=[]):", "x=[]):  # noqa: E501")) == [
        "unused-import", "mutable-default-argument"]


def test_suppressing_one_identical_finding_keeps_the_others_id():
    code = "def f():\n    x = 1\n    y = 1\n"
    before = [f.id for f in findings(code, "unused-variable")]
    after = [f.id for f in findings(code.replace("x = 1", "x = 1  # noqa"), "unused-variable")]
    assert after == before[1:]


def test_disabled_rules_by_id_or_code():
    code = "import os\n\ndef f(x=[]):\n    return x\n"
    outcome = analyze_source(code, URI, None, disabled=("B006",))
    assert [f.rule for f in outcome.findings] == ["unused-import"]
    outcome = analyze_source(code, URI, None, disabled=("unused-import",))
    assert [f.rule for f in outcome.findings] == ["mutable-default-argument"]


# -- the wire -----------------------------------------------------------------


def test_every_fixable_finding_says_whether_its_fix_is_safe():
    code = src("""
        import logging
        import os

        def f(x=[]):
            try:
                y = 1
                return x
                print("dead")
            except:
                pass
    """)
    found = findings(code)
    assert {f.rule for f in found if f.fixable} >= {
        "unused-import", "mutable-default-argument", "unused-variable", "unreachable-code",
        "bare-except"}
    for finding in found:
        assert (finding.fix_safety in ("safe", "unsafe")) == finding.fixable, finding
        if finding.fixable:
            fix = rule_fix(code, URI, finding.id)
            assert fix.safety == finding.fix_safety and fix.safety_reason
            apply_text_edits(code, fix.edits)


def test_a_generated_function_with_hundreds_of_unused_variables_gives_ten_findings():
    code = "def test_generated():\n" + "".join(f"    v{i} = {i}\n" for i in range(800))
    found = findings(code, "unused-variable")
    assert len(found) == 10 and "790 more unused variables" in found[-1].message


# -- the missing smells -------------------------------------------------------------


def test_closure_over_a_loop_variable():
    code = src("""
        def build(items):
            callbacks = []
            for item in items:
                callbacks.append(lambda: item.run())
                callbacks.append(lambda item=item: item.run())
                ordered = sorted(items, key=lambda other: other.rank(item))
                def later():
                    return item
                callbacks.append(later)
                def now():
                    return item
                now()
            return callbacks, ordered
    """)
    found = findings(code, "loop-variable-closure")
    assert [(f.range.start.line, f.message.split(" in ")[0]) for f in found] == [
        (3, "Lambda"), (6, "Function 'later'")]


def test_redefined_unused_name():
    code = src("""
        import os
        from typing import overload


        def helper():
            return 1


        def helper():
            return 2


        class P:
            @property
            def x(self):
                return 1

            @x.setter
            def x(self, value):
                pass

            @overload
            def f(self, a: int) -> int: ...
            def f(self, a):
                return a


        try:
            import simplejson as json
        except ImportError:
            import json
        print(os, json, helper)
    """)
    found = findings(code, "redefined-unused-name")
    assert [f.message.split(" defined")[0] for f in found] == ["'helper'"]
    assert found[0].range.start.line == 4
