"""Cyclomatic complexity is counted exactly as radon's ``cc_visit`` counts it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from advisor_testlib import radon_complexities, src

from keel.advisor.engine import analyze_source, function_complexities

SNIPPETS = {
    "straight": """
        def f(x):
            return x + 1
    """,
    "branches_and_bool_ops": """
        def f(a, b, c):
            if a and b or c:
                return 1
            elif b:
                return 2
            elif not (a or b or c):
                return 3
            else:
                return 0 if a else -1
    """,
    "loops_with_else": """
        def f(items):
            for i in items:
                if i:
                    break
            else:
                pass
            while items:
                items.pop()
            else:
                pass
            async def g():
                async for x in items:
                    pass
    """,
    "try_handlers_else_finally": """
        def f():
            try:
                a()
            except ValueError:
                pass
            except (KeyError, IndexError) as e:
                raise
            else:
                b()
            finally:
                c()
            try:
                a()
            finally:
                b()
    """,
    "comprehensions_and_lambdas": """
        def f(xs):
            ys = [x for x in xs if x if x > 1]
            zs = {k: v for k, v in ys for _ in xs}
            key = lambda v, d=(1 if xs else 2): v if v else d
            gen = (a and b for a, b in zs)
            return sorted(ys, key=key), set(y for y in ys if y or not y)
    """,
    "assert_is_one_and_opaque": """
        def f(a, b):
            assert a and b and (a if b else a), "msg" if a else "other"
            assert [x for x in a if x]
    """,
    "closures_classes_decorators_defaults": """
        def outer(a, b=1 if True else 2):
            @decorate(x if y else z)
            def inner(c=[d for d in a if d]):
                if c:
                    return c
                return a and b
            class Local:
                attr = 1 if a else 2
                def method(self):
                    while self:
                        pass
            if a:
                return inner
            return Local
    """,
    "match_statement": """
        def f(command):
            match command:
                case ["go", direction] if direction and command:
                    return 1
                case {"x": 1} | {"y": 2}:
                    return 2
                case Point(x=0):
                    return 3
                case _:
                    return 4
            match command:
                case 1:
                    pass
                case other:
                    pass
            match command:
                case _:
                    pass
    """,
    "methods_and_nested_classes": """
        class A:
            x = [i for i in range(3) if i]

            def m(self, a):
                return [b for b in a if b] or None

            async def n(self):
                async with self:
                    if self:
                        return 1

            class B:
                def deep(self):
                    for i in self:
                        for j in i:
                            if j and i:
                                yield j
    """,
    "try_star_and_with": """
        def f():
            with a() as b, c():
                if b:
                    pass
            try:
                pass
            except* ValueError:
                pass
    """,
    "walrus_ifexp_chains": """
        def f(data):
            if (n := len(data)) > 10 and n < 20 or n == 0:
                return "a" if n else "b" if data else "c"
            return {k: (v if v else None) for k, v in data.items() if k and v}
    """,
}


def _assert_same(source: str) -> int:
    radon = radon_complexities(source)
    mine = {info.lineno: info.complexity for info in function_complexities(source)}
    assert radon, "radon found no functions"
    for lineno, complexity in radon.items():
        assert mine.get(lineno) == complexity, (lineno, mine.get(lineno), complexity)
    return len(radon)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_complexity_equals_radon(name):
    _assert_same(src(SNIPPETS[name]))


def test_known_values():
    infos = {i.qual: i.complexity for i in function_complexities(
        src(SNIPPETS["branches_and_bool_ops"]))}
    # if, elif, elif (+1 each), 'a and b or c' (+2), 'not (a or b or c)' (+2), IfExp (+1)
    assert infos == {"f": 1 + 3 + 2 + 2 + 1}
    nested = {i.qual: i.complexity for i in function_complexities(
        src(SNIPPETS["closures_classes_decorators_defaults"]))}
    assert nested == {"outer": 2, "outer.inner": 3, "outer.Local.method": 2}


def test_max_complexity_metric():
    outcome = analyze_source(src(SNIPPETS["branches_and_bool_ops"]), "file:///x.py")
    assert outcome.metrics.max_complexity == 9
    assert outcome.metrics.functions == 1


def _corpus_module():
    path = Path(__file__).resolve().parents[3] / "bench" / "corpus" / "generate.py"
    spec = importlib.util.spec_from_file_location("advisor_corpus_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_complexity_equals_radon_on_generated_corpus():
    corpus = _corpus_module().generate_corpus(seed=7, files=6, lines_per_file=300)
    checked = sum(_assert_same(source) for source in corpus.values())
    assert checked > 50
