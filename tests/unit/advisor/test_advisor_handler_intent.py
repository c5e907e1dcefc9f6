"""Handlers whose intent the code states are not reported (precision on real code, issue 23)."""

from __future__ import annotations

import textwrap

import pytest

from keel.advisor.engine import analyze_source


def _rules(code: str) -> list[str]:
    return [f.rule for f in analyze_source(textwrap.dedent(code), "file:///m.py").findings]


@pytest.mark.parametrize("code", [
    """
    def f(t):
        try:
            t.commit()
        except:
            with util.safe_reraise():
                t.rollback()
    """,
    """
    import sys
    def f(t):
        try:
            t.commit()
        except:
            err = sys.exc_info()
        return err
    """,
])
def test_a_bare_except_that_passes_the_exception_on_is_not_reported(code):
    assert "bare-except" not in _rules(code)


def test_a_bare_except_that_keeps_it_is_still_reported():
    assert "bare-except" in _rules("""
    def f(x):
        try:
            return x.errno
        except:
            return -1
    """)


def test_a_commented_swallow_is_not_reported_and_a_silent_one_is():
    explained = """
    def f(x):
        try:
            x.flush()
        except Exception:
            # the stream may be closed already: nothing to flush
            pass
    """
    silent = explained.replace("            # the stream may be closed already: nothing to flush\n", "")
    assert "swallowed-exception" not in _rules(explained)
    assert "swallowed-exception" in _rules(silent)


def test_a_def_returned_from_its_loop_sees_no_later_value():
    code = """
    def pick(options, fn):
        for since, conv in options:
            if conv is not None:
                def wrap(*args):
                    return fn(since, *conv(*args))
                return wrap
        return fn
    """
    assert "loop-variable-closure" not in _rules(code)
    stored = code.replace("                return wrap\n", "                handlers.append(wrap)\n")
    assert "loop-variable-closure" in _rules(stored)


def test_a_class_body_reading_the_name_it_replaces_uses_it():
    code = """
    from django.template.backends.django import DjangoTemplates
    class DjangoTemplates(Base):
        backend = DjangoTemplates
    """
    assert "redefined-unused-name" not in _rules(code)
    assert "redefined-unused-name" in _rules(code.replace("backend = DjangoTemplates", "x = 1"))
