"""The quick, offline subset of the fix-safety suite (bench/advisor_fix_safety.py runs the
full one on real projects from the package index).

A small project holding every pattern a fix was once found to break, with its own
tests, is fixed with every safe fix; its tests must pass before and after, and its import
surface must stay the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from advisor_testlib import src

from keel.advisor.fix_all import fix_all

CORE = src('''
    """Patterns whose "fixes" used to change behaviour."""
    import encodings.idna
    from typing import TYPE_CHECKING, cast

    try:
        import simplejson as json
    except ImportError:
        import json

    if TYPE_CHECKING:
        import decimal
        from typing import TextIO

    lnum = 3


    def generator_marker():
        return
        yield


    def dead_code():
        result = compute()
        unused = 42
        return result
        print("never")


    def reader(lnum=[lnum]):
        return lnum


    def stream(x):
        return cast("TextIO", x)


    def compute():
        return 7


    def hands_back():
        try:
            raise ValueError("x")
        except Exception as error:
            return (error, None)


    def dumps(value):
        return json.dumps(value)


    ROLES = {"title": "title", "number": "sectnum", "number": "sectnum"}


    def merged(extra):
        return {"a": 1, **extra, "a": 1}


    def labels(rows):
        out = []
        for id in rows:
            out.append(lambda: f"<{id}>")
        return [make() for make in out], id


    def report(type):
        return "%(type)s" % locals()


    def by_name():
        format = "<%s>"
        return "%(format)s" % vars()
''')

TESTS = src('''
    import inspect

    from pkg import core


    def test_generator_marker_is_still_a_generator():
        assert inspect.isgeneratorfunction(core.generator_marker)
        assert list(core.generator_marker()) == []


    def test_values():
        assert core.dead_code() == 7
        assert core.reader() == [3]
        assert core.stream("s") == "s"
        assert isinstance(core.hands_back()[0], ValueError)
        assert core.dumps([1]) == "[1]"


    def test_renamed_locals_and_dict_entries():
        assert core.ROLES == {"title": "title", "number": "sectnum"}
        assert list(core.ROLES) == ["title", "number"]
        assert core.merged({"a": 2}) == {"a": 1}
        assert core.labels([1, 2]) == (["<2>", "<2>"], 2)
        assert core.report("x") == "x"
        assert core.by_name() == "<%s>"


    def test_idna_codec_registered_by_the_side_effect_import():
        assert "bücher".encode("idna") == b"xn--bcher-kva"
''')

SURFACE = "import json, pkg.core as m; print(json.dumps(sorted(dir(m))))"


def _run(root, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def _tests(root) -> str:
    done = _run(root, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-o", "addopts=")
    return done.stdout.strip().splitlines()[-1].split(" in ")[0]  # '3 passed'; no timing


def test_safe_fixes_keep_the_projects_tests_and_import_surface(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    core = tmp_path / "pkg" / "core.py"
    core.write_text(CORE, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_core.py").write_text(TESTS, encoding="utf-8")
    before = _tests(tmp_path)
    surface = json.loads(_run(tmp_path, "-c", SURFACE).stdout)
    assert before == "4 passed", before

    result = fix_all(CORE, core.as_uri(), {"safe"})
    core.write_text(result.text, encoding="utf-8")

    applied = {rule for rule, safety in result.applied}
    assert {safety for _, safety in result.applied} == {"safe"}
    assert applied == {"unused-variable", "unreachable-code", "unused-import",
                       "shadowed-builtin", "duplicate-dict-key"}
    assert "import decimal" not in result.text and 'print("never")' not in result.text
    assert "for id_ in rows" in result.text and '"number": "sectnum"}' in result.text
    # the hostile variants stay: a '**' between the entries, locals read by name
    assert '{"a": 1, **extra, "a": 1}' in result.text and 'format = "<%s>"' in result.text
    assert _tests(tmp_path) == before
    assert json.loads(_run(tmp_path, "-c", SURFACE).stdout) == surface


def _bench(monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "bench" / "advisor_fix_safety.py"
    spec = importlib.util.spec_from_file_location("advisor_fix_safety_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_the_bench_runs_each_projects_default_selection_with_stdin_closed(tmp_path, monkeypatch):
    """click's pyproject deselects its 30,000 stress tests (addopts = -m 'not stress'); the
    bench blanks addopts, so it must pass that selection itself (its run took > 30 min)."""
    bench = _bench(monkeypatch)
    calls = []
    monkeypatch.setattr(bench.subprocess, "run", lambda args, **kw: calls.append((args, kw)))
    click = next(p for p in bench.PROJECTS if p.name == "click")
    assert bench.run_tests(tmp_path, click, None, "before") == {"<pytest did not run>": "failed"}
    args, kw = calls[0]
    assert args[args.index("-m", 2):][:2] == ["-m", "not stress"]
    assert kw["stdin"] is subprocess.DEVNULL
