"""swallowed-exception and shadowed-builtin narrowed where the sampled corpus had false
positives (issue 23, bench/advisor_precision_verdicts.json): each quiet case next to a
hostile one that is still reported."""

from __future__ import annotations

import textwrap

import pytest

from keel.advisor.engine import analyze_source


def _found(code: str, rule: str, uri: str = "file:///pkg/m.py") -> list[str]:
    return [f.message for f in analyze_source(textwrap.dedent(code), uri).findings
            if f.rule == rule]


def _swallowed(code: str, uri: str = "file:///pkg/m.py") -> int:
    return len(_found(code, "swallowed-exception", uri))


# -- swallowed-exception ----------------------------------------------------------------

def test_a_comment_right_above_the_except_explains_it_one_elsewhere_does_not():
    above = """
    def do_timezone(value):
        try:
            value = convert(value)
        # Filters must never raise exceptions, so catch everything.
        except Exception:
            return ""
        return value
    """
    assert _swallowed(above) == 0
    # a comment inside the try body (deeper than 'except') is about the body
    in_body = above.replace("        # Filters must", "            # Filters must")
    assert _swallowed(in_body) == 1
    # separated from the except by code: not about the handler
    apart = above.replace("            value = convert(value)\n        # Filters must never raise "
                          "exceptions, so catch everything.\n",
                          "            # convert it\n            value = convert(value)\n")
    assert _swallowed(apart) == 1


def test_a_comment_trailing_inside_the_handler_explains_it_one_after_it_does_not():
    trailing = """
    def is_binary(stream, default=False):
        try:
            return isinstance(stream.read(0), bytes)
        except Exception:
            return default
            # This happens when the stream was already closed.

    def g():
        pass
    """
    assert _swallowed(trailing) == 0
    # at the function's indentation the comment belongs to what follows the try
    after = trailing.replace("            # This happens", "    # This happens")
    assert _swallowed(after) == 1


def test_a_finaliser_and_a_repr_may_not_raise_an_init_and_str_may():
    code = """
    class W:
        def __del__(self):
            try:
                self.detach()
            except Exception:
                pass

        def __repr__(self):
            try:
                return f"W({self.name})"
            except Exception:
                return "W(?)"

    def generic_repr(obj):
        out = []
        try:
            out.append(repr(obj.x))
        except Exception:
            pass
        return ", ".join(out)
    """
    assert _swallowed(code) == 0
    hostile = code.replace("__del__", "__init__").replace("__repr__", "__str__") \
        .replace("generic_repr", "generic_text")
    assert _swallowed(hostile) == 3


def test_a_swallowing_decorators_wrapper_is_its_purpose_a_callback_runner_is_not():
    code = """
    from functools import update_wrapper

    def _safecall(func):
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception:
                pass
            return None
        return update_wrapper(wrapper, func)
    """
    assert _swallowed(code) == 0
    # a plain function calling what it was given: the caller did not choose to swallow
    runner = """
    def run(callback, *args):
        try:
            return callback(*args)
        except Exception:
            pass
    """
    assert _swallowed(runner) == 1
    # the wrapper does its own work: not a pure forwarding
    own_work = code.replace("return func(*args, **kwargs)", "return func(*args, **kwargs) + 1")
    assert _swallowed(own_work) == 1
    # it calls something it was not given
    other = code.replace("return func(*args, **kwargs)", "return helper(*args, **kwargs)")
    assert _swallowed(other) == 1


DJANGO_FILTER = """
from django import template

register = template.Library()

@register.filter(is_safe=False)
def add(value, arg):
    try:
        return value + arg
    except Exception:
        return ""
"""


def test_a_django_template_filter_never_raises_by_contract():
    assert _swallowed(DJANGO_FILTER) == 0
    # Django's own defaultfilters imports Library relatively
    relative = DJANGO_FILTER.replace("from django import template\n",
                                     "from .library import Library\n") \
        .replace("template.Library()", "Library()")
    assert _swallowed(relative, "file:///site/django/template/defaultfilters.py") == 0


@pytest.mark.parametrize("change", [
    ("@register.filter(is_safe=False)", "@register.tag"),  # tags raise TemplateSyntaxError
    ("from django import template", "import mylib as template"),  # not Django's Library
    ("register = template.Library()", "register = Registry()"),
])
def test_other_decorators_and_libraries_are_still_reported(change):
    assert _swallowed(DJANGO_FILTER.replace(*change)) == 1


def test_a_relative_library_outside_django_template_is_still_reported():
    relative = DJANGO_FILTER.replace("from django import template\n",
                                     "from .library import Library\n") \
        .replace("template.Library()", "Library()")
    assert _swallowed(relative, "file:///site/myapp/filters.py") == 1


CHECKED_LATER = """
from importlib import import_module

def create(entry):
    app_module = None
    try:
        app_module = import_module(entry)
    except Exception:
        pass
    if app_module is None:
        raise ImportError(f"cannot import {entry}")
    return app_module
"""


def test_a_failure_checked_later_and_raised_is_not_silent():
    assert _swallowed(CHECKED_LATER) == 0


@pytest.mark.parametrize("change", [
    ('        raise ImportError(f"cannot import {entry}")', "        return None"),  # no raise
    ("    if app_module is None:", "    if entry is None:"),  # tests something else
    ("        app_module = import_module(entry)",
     "        app_module = import_module(entry)\n        register(app_module)"),  # more work
])
def test_a_later_check_that_does_not_raise_on_the_result_is_still_reported(change):
    assert _swallowed(CHECKED_LATER.replace(*change)) == 1


# -- shadowed-builtin -------------------------------------------------------------------

def test_a_module_level_alias_replaces_the_builtin_on_purpose_a_value_does_not():
    code = """
    import io
    from typing import TYPE_CHECKING
    from .warnings import PydanticDeprecatedSince20

    if not TYPE_CHECKING:
        DeprecationWarning = PydanticDeprecatedSince20
    open = io.open
    """
    assert _found(code, "shadowed-builtin") == []
    values = code.replace("    open = io.open\n",
                          "    open = io.open\n    list = [1, 2]\n    id = compute()\n")
    assert [m.split("'")[1] for m in _found(values, "shadowed-builtin")] == ["list", "id"]
    # inside a function an alias is still a local that hides the builtin
    local = """
    import io
    def f(path):
        open = io.open
        return open(path)
    """
    assert len(_found(local, "shadowed-builtin")) == 1


def test_an_import_under_its_own_name_is_a_replacement_a_rename_is_a_choice():
    code = """
    def pretty(schema):
        from rich import print
        print(schema)
    """
    assert _found(code, "shadowed-builtin") == []
    renamed = code.replace("from rich import print", "from rich import pretty as print")
    assert len(_found(renamed, "shadowed-builtin")) == 1


def test_a_nonlocal_rebinding_is_the_enclosing_parameters_not_a_new_shadow():
    code = """
    def attrs(maybe_cls=None, hash=None):
        def wrap(cls):
            nonlocal hash
            if hash is None:
                hash = False
            return cls
        return wrap
    """
    assert _found(code, "shadowed-builtin") == []
    own = code.replace("            nonlocal hash\n", "")
    assert len(_found(own, "shadowed-builtin")) == 1


# -- unused-variable: values built from parameters ------------------------------------

def _variable_safety(code: str) -> list[str | None]:
    return [f.fix_safety for f in analyze_source(textwrap.dedent(code), "file:///pkg/m.py")
            .findings if f.rule == "unused-variable"]


def test_removing_a_copy_of_a_parameter_is_safe_it_cannot_raise_nameerror():
    from keel.advisor.fix_all import fix_all

    code = textwrap.dedent("""
    def f(self, item, *rest):
        previous = self
        pair = (item, rest)
        return item
    """)
    assert _variable_safety(code) == ["safe", "safe"]
    result = fix_all(code, "file:///pkg/m.py", {"safe"})
    assert "previous" not in result.text and "pair" not in result.text
    assert {safety for _, safety in result.applied} == {"safe"}
    before: dict = {}
    after: dict = {}
    exec(code, before)  # noqa: S102 - the test's own code
    exec(result.text, after)  # noqa: S102
    assert before["f"](1, 2, 3) == after["f"](1, 2, 3) == 2


@pytest.mark.parametrize("code", [
    # a global or builtin may be undefined or deleted: removing the read removes a NameError
    "def f(item):\n    previous = other\n    return item\n",
    # 'del' can unbind the parameter before the assignment
    "def f(item):\n    if item:\n        del item\n    previous = item\n    return 1\n",
    # 'except ... as item' unbinds it at the end of the handler
    "def f(item):\n    try:\n        g()\n    except OSError as item:\n        pass\n"
    "    previous = item\n    return 1\n",
])
def test_a_name_that_may_be_unbound_keeps_the_removal_unsafe(code):
    assert "unsafe" in _variable_safety(code)
