"""shadowed-builtin: a function's local variable is renamed ``id`` -> ``id_`` (safe) only when
the function proves that every use is renamed and nothing reads it by name."""

from __future__ import annotations

import pytest
from advisor_testlib import URI, findings, src

from keel.advisor.edits import apply_text_edits
from keel.advisor.fixes import rule_fix


def _shadow(code, name, where="f"):
    found = [f for f in findings(code, "shadowed-builtin")
             if f"'{name}'" in f.message and f"'{where}'" in f.message]
    assert len(found) == 1, findings(code, "shadowed-builtin")
    return found[0]


def _run(code, *args):
    space: dict = {}
    exec(compile(code, "<fixture>", "exec"), space)  # noqa: S102
    return space["f"](*args)


SAFE = {
    "assign-and-read": ("""
        def f(items):
            id = len(items)
            return id * 2, [id + i for i in items]
    """, "id", ([1, 2],)),
    "loop-target-closure-and-del": ("""
        def f(rows):
            out = []
            for type in rows:
                out.append(lambda: type)
            results, total = [g() for g in out], type
            del type
            return results, total
    """, "type", ([3, 4],)),
    "augassign-walrus-fstring-class": ("""
        def f(n):
            max = 0
            max += n
            if (max := max + 1) > 1:
                label = f"{max}!"
            class Box:
                size = max
            return label, Box.size, str(max)
    """, "max", (5,)),
    "nested-reads-and-nonlocal-free": ("""
        def f(x):
            format = "<%s>"
            def inner(y):
                return format % y
            return inner(x), sorted([format % v for v in (x, x)])
    """, "format", ("a",)),
}


@pytest.mark.parametrize("name", SAFE)
def test_local_variable_is_renamed_everywhere_and_behaviour_is_kept(name):
    code, var, args = SAFE[name]
    code = src(code)
    found = _shadow(code, var)
    assert found.fixable and found.fix_safety == "safe"
    fix = rule_fix(code, URI, found.id)
    assert fix.safety == "safe" and fix.title == f"Rename '{var}' to '{var}_'"
    fixed = apply_text_edits(code, fix.edits)
    assert f"{var}_" in fixed
    assert _run(fixed, *args) == _run(code, *args)
    assert [f for f in findings(fixed, "shadowed-builtin")] == []


UNSAFE = {
    "parameter": ("def _f(id):\n    return id\n", "id"),
    "parameter-rebound": ("def _f(dir=None):\n    dir = dir or '/tmp'\n    return dir\n",
                          "dir"),
    "module-level": ("id = 1\nprint(id)\n", "id"),
    "class-attribute": ("class C:\n    type = []\n    def m(self):\n        type = 1\n"
                        "        return type\n", "type"),
    "nested-binds-again": ("def f():\n    id = 1\n    def g():\n        id = 2\n"
                           "        return id\n    return id, g()\n", "id"),
    "comprehension-binds": ("def f(xs):\n    id = 0\n    return [id for id in xs], id\n", "id"),
    "locals": ("def f():\n    id = 1\n    return '%(id)s' % locals()\n", "id"),
    "vars": ("def f():\n    id = 1\n    return vars()\n", "id"),
    "eval-string": ("def f():\n    id = 1\n    return eval('id + 1')\n", "id"),
    "query-string": ("def f(df):\n    id = 1\n    return df.query('x == @id')\n", "id"),
    "frame": ("import sys\ndef f():\n    id = 1\n    return sys._getframe().f_locals\n", "id"),
    "inspect": ("import inspect\ndef f():\n    id = 1\n    return inspect.currentframe()\n",
                "id"),
    "except-as": ("def f():\n    id = 1\n    try:\n        pass\n    except E as id:\n"
                  "        pass\n", "id"),
    "import-as": ("def f():\n    id = 1\n    import os as id\n    return id\n", "id"),
    "match-capture": ("def f(v):\n    id = 0\n    match v:\n        case [id]:\n"
                      "            pass\n    return id\n", "id"),
    "annotation": ("def f():\n    id = 1\n    def g(x: id) -> id:\n        pass\n"
                   "    return g\n", "id"),
    "new-name-taken": ("def f():\n    id = 1\n    id_ = 2\n    return id, id_\n", "id"),
    "new-name-read-as-global": ("def f():\n    id = 1\n    return id, id_\n", "id"),
}


@pytest.mark.parametrize("name", UNSAFE)
def test_no_rename_where_the_function_does_not_prove_it(name):
    code, var = UNSAFE[name]
    where = {"parameter": "_f", "parameter-rebound": "_f", "module-level": "<module>",
             "class-attribute": "C"}.get(name, "f")
    for found in findings(code, "shadowed-builtin"):
        if f"'{where}'" in found.message:
            assert not found.fixable and found.fix_safety is None, name
            assert rule_fix(code, URI, found.id) is None
    assert findings(code, "shadowed-builtin")


def test_global_declaration_is_not_a_local_and_gets_no_rename():
    code = "def f():\n    global id\n    id = 1\n"
    assert all(not f.fixable for f in findings(code, "shadowed-builtin"))


def test_other_functions_of_the_module_may_use_the_new_name():
    """pickle has a 'len' in nine functions: renaming one must not block the next."""
    code = src("""
        def f(read):
            len = read()
            return len

        def g(read):
            len = read()
            return len + 1
    """)
    first = findings(code, "shadowed-builtin")
    assert [f.fixable for f in first] == [True, True]
    fixed = apply_text_edits(code, rule_fix(code, URI, first[0].id).edits)
    rest = findings(fixed, "shadowed-builtin")
    assert len(rest) == 1 and rest[0].fixable
    fixed = apply_text_edits(fixed, rule_fix(fixed, URI, rest[0].id).edits)
    assert fixed.count("len_") == 4 and findings(fixed, "shadowed-builtin") == []
