"""Project-aware safety of unused-import removal: the workspace import index (issue 23)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from keel.advisor.engine import analyze_source
from keel.advisor.fix_all import fix_all
from keel.advisor.workspace import ImportIndex
from keel.workflows.analyzers import project

COMPAT = textwrap.dedent("""
    from collections import OrderedDict
    from json import JSONDecodeError
    from .base import Base, Helper
    import requests
""")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def _safety(root: Path, rel: str = "pkg/compat.py") -> dict[str, tuple[str | None, str]]:
    path = (root / rel).resolve()
    usage = project.usage_for(path, [root])
    findings = analyze_source(path.read_text(), path.as_uri(), usage=usage).findings
    return {f.message.split("'")[1]: (f.fix_safety, f.message) for f in findings
            if f.rule == "unused-import"}


@pytest.fixture
def workspace(tmp_path):
    _write(tmp_path, {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base: ...\nclass Helper: ...\n",
        "pkg/compat.py": COMPAT + "\nuse = Base\n",
        "pkg/user.py": "from .compat import JSONDecodeError\n",
    })
    return tmp_path


def test_the_workspace_proves_which_removals_are_safe(workspace):
    safety = _safety(workspace)
    assert safety["OrderedDict"][0] == "safe"  # stdlib, nobody imports it from compat
    # pkg/user.py imports it from here: a re-export, used, so not reported at all
    assert "JSONDecodeError" not in safety
    assert safety["Helper"][0] == "safe"  # the statement stays for Base: no effect lost
    assert safety["requests"][0] == "unsafe"  # importing it runs third-party code


def test_reasons_name_what_may_use_the_name(workspace):
    _write(workspace, {"pkg/other.py": "x = getattr(obj, 'OrderedDict')\n"})
    path = (workspace / "pkg/compat.py").resolve()
    usage = project.usage_for(path, [workspace])
    findings = analyze_source(path.read_text(), path.as_uri(), usage=usage).findings
    reasons = {f.message.split("'")[1]: f for f in findings if f.rule == "unused-import"}
    from keel.advisor.fixes import rule_fix
    fix = rule_fix(path.read_text(), path.as_uri(), reasons["OrderedDict"].id, usage=usage)
    assert fix is not None and "by string (getattr)" in fix.safety_reason
    assert fix.title.endswith("(unsafe)")
    fix = rule_fix(path.read_text(), path.as_uri(), reasons["requests"].id, usage=usage)
    assert fix is not None and "importing 'requests' runs its code" in fix.safety_reason


def test_a_facade_whose_names_other_modules_take_is_not_reported(workspace):
    _write(workspace, {"pkg/user.py": "from .compat import JSONDecodeError, OrderedDict, Base\n"})
    assert _safety(workspace) == {}  # compat.py is the package's interface: nothing is unused


@pytest.mark.parametrize("other", [
    "from pkg import compat\nx = compat.OrderedDict\n",  # attribute of the module
    "import pkg.compat\nx = pkg.compat.OrderedDict\n",
])
def test_a_name_read_through_the_module_is_a_reexport(workspace, other):
    _write(workspace, {"pkg/other.py": other})
    assert "OrderedDict" not in _safety(workspace)


@pytest.mark.parametrize("other", [
    "from pkg.compat import *\n",  # star import, no __all__
    "import importlib\nm = importlib.import_module('pkg.compat')\n",  # imported by name
])
def test_a_module_reached_wholesale_reports_no_unused_import(workspace, other):
    _write(workspace, {"pkg/other.py": other})
    assert _safety(workspace) == {}


def test_a_string_naming_it_makes_the_removal_unsafe(workspace):
    _write(workspace, {"pkg/other.py": "x = getattr(obj, 'OrderedDict')\n"})
    assert _safety(workspace)["OrderedDict"][0] == "unsafe"


def test_a_module_getattr_reports_no_unused_import(workspace):
    _write(workspace, {"pkg/compat.py": COMPAT + "\ndef __getattr__(name):\n    return name\n"})
    assert _safety(workspace) == {}


def test_without_a_workspace_nothing_is_proven(tmp_path):
    _write(tmp_path, {"lone.py": "from collections import OrderedDict\n"})
    path = (tmp_path / "lone.py").resolve()
    assert project.usage_for(path, []) is None  # no project marker above it
    (finding,) = analyze_source(path.read_text(), path.as_uri()).findings
    assert finding.fix_safety == "unsafe"


def test_the_index_follows_file_changes(workspace):
    assert _safety(workspace)["OrderedDict"][0] == "safe"
    _write(workspace, {"pkg/late.py": "x = getattr(obj, 'OrderedDict')\n"})
    assert _safety(workspace)["OrderedDict"][0] == "unsafe"  # a new file, by stamp
    (workspace / "pkg/late.py").unlink()
    assert _safety(workspace)["OrderedDict"][0] == "safe"  # gone again


def test_invalidate_drops_a_file_from_the_index():
    index = ImportIndex()
    index.update("/w/pkg/a.py", "from pkg.b import name\n")
    assert "name" in index.usage("/w/pkg/b.py").names
    assert index.update("/w/pkg/a.py", "from pkg.b import name\n") is False  # same content
    index.invalidate("/w/pkg/a.py")
    assert "name" not in index.usage("/w/pkg/b.py").names


def test_fix_all_applies_the_proven_removals_only(workspace):
    path = (workspace / "pkg/compat.py").resolve()
    usage = project.usage_for(path, [workspace])
    result = fix_all(path.read_text(), path.as_uri(), ("safe",), usage=usage)
    assert "OrderedDict" not in result.text and "Helper" not in result.text
    assert "JSONDecodeError" in result.text and "import requests" in result.text  # used; effects
    assert "from .base import Base" in result.text


def test_a_noqa_on_a_multiline_import_covers_its_names(tmp_path):
    code = ("from .models import (  # noqa: F401\n    A,\n    B,\n)\nfrom .utils import (\n    C,\n)\n"
            "def f():\n    return 1\n")
    rules = [f.message for f in analyze_source(code, "file:///m.py").findings]
    assert rules == ["'C' (from .utils) is imported but never used."]


def test_a_dotted_string_naming_the_name_is_a_use(workspace):
    _write(workspace, {"tests/test_x.py": "mock.patch('pkg.compat.OrderedDict')\n"})
    assert "OrderedDict" not in _safety(workspace)


def test_a_module_of_imports_only_is_an_interface():
    code = ('"""Re-exports."""\nfrom __future__ import annotations\n'
            "from .engine.events import ConnectionEvents\nfrom .pool import Pool\n")
    assert analyze_source(code, "file:///events.py").findings == []


def test_the_server_builds_a_large_workspace_in_the_background(workspace, monkeypatch):
    import threading

    monkeypatch.setattr(project, "SMALL_WORKSPACE_FILES", 0)
    root = workspace.resolve()
    monkeypatch.delitem(project._INDEXES, str(root), raising=False)
    path = root / "pkg/compat.py"
    assert project.usage_if_ready(path, [root]) is None  # not built yet: nothing proven
    for thread in threading.enumerate():
        if thread.name == "keel-import-index":
            thread.join()
    assert project.usage_if_ready(path, [root]) is not None


def test_a_small_workspace_is_indexed_before_the_answer(workspace):
    root = workspace.resolve()
    project._INDEXES.pop(str(root), None)
    assert project.usage_if_ready(root / "pkg/compat.py", [root]) is not None
