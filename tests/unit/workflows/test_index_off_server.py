"""Issue 22 point 5: the server parses no Python for the import index on its own GIL.

Changed files are parsed in a child process (``index_process.FactsProcess``) and the
analysed file by its analysis worker (a ``PendingUse``), and the index's answers are
the ones the in-process parse gives, hostile files included.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from keel.advisor import workspace as ws
from keel.advisor.engine import analyze_source
from keel.advisor.workspace import ImportIndex, PendingUse, file_facts
from keel.app import advisor_config, advisor_ops
from keel.app.documents import SourceText
from keel.app.state import KeelApp
from keel.errors import InvalidInput
from keel.workflows.analyzers import index_process, project

COMPAT = textwrap.dedent("""\
    from collections import OrderedDict
    from json import JSONDecodeError
    from .base import Base, Helper
    use = Base
""")

# (the module's own text, the other modules) -> the same usage, whoever parses what
CASES = {
    "plain": (COMPAT, {"pkg/user.py": "from .compat import JSONDecodeError\n"}),
    "own getattr": (COMPAT + "def __getattr__(name): ...\n", {}),
    "own __all__, star importer": (COMPAT + "__all__ = ['use']\n", {"pkg/s.py": "from pkg.compat import *\n"}),
    "no __all__, star importer": (COMPAT, {"pkg/s.py": "from pkg.compat import *\n"}),
    "own dynamic strings": (COMPAT + "x = getattr(use, 'OrderedDict')\n", {}),
    "others' dynamic strings": (COMPAT, {"pkg/o.py": "y = hasattr(z, 'Helper')\n"}),
    "imported by name": (COMPAT, {"pkg/i.py": "import importlib\nimportlib.import_module('pkg.compat')\n"}),
    "attribute through the module": (COMPAT, {"pkg/a.py": "from pkg import compat\nx = compat.OrderedDict\n"}),
    "own syntax error": ("from x import (\n", {"pkg/user.py": "from .compat import y\n"}),
    "own null byte": ("import os\x00\n", {}),
    "own not UTF-8 (decoded)": (b"import os\n# \xff\xfe\n".decode("utf-8", "replace"), {}),
    "own lone surrogate": ("import os\nx = '\udc80'\n", {}),
}


def _index(files: dict[str, str]) -> ImportIndex:
    index = ImportIndex()
    for path, text in files.items():
        index.update(path, text)
    return index


@pytest.mark.parametrize("case", list(CASES))
def test_a_pending_use_resolves_to_the_index_answer(case):
    own, others = CASES[case]
    path = "/w/pkg/compat.py"
    files = {f"/w/{rel}": text for rel, text in others.items()}
    exact = _index({**files, path: own}).usage(path)
    stale = _index({**files, path: "def __getattr__(n): ...\n__all__ = []\nx = getattr(a, 'b')\n"})
    pending = stale.pending_usage(path)
    assert pending.resolve(file_facts(path, own)) == exact
    assert _index(files).pending_usage(path).resolve(file_facts(path, own)) == exact


def test_the_engine_resolves_a_pending_use_with_the_text_it_parses():
    path = "/w/pkg/compat.py"
    others = {"/w/pkg/user.py": "from .compat import JSONDecodeError\n", "/w/pkg/o.py": "getattr(a, 'Helper')\n"}
    exact = _index({**others, path: COMPAT}).usage(path)
    pending = _index(others).pending_usage(path)
    with_exact = analyze_source(COMPAT, "file://" + path, usage=exact)
    with_pending = analyze_source(COMPAT, "file://" + path, usage=pending)
    assert with_pending.findings == with_exact.findings
    assert {f.fix_safety for f in with_exact.findings if f.rule == "unused-import"} >= {"safe"}
    assert with_pending.index_facts == file_facts(path, COMPAT)
    assert with_exact.index_facts is None


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@pytest.fixture
def workspace(tmp_path):
    _write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/base.py": "class Base: ...\n",
                      "pkg/compat.py": COMPAT, "pkg/user.py": "from .compat import JSONDecodeError\n"})
    root = tmp_path.resolve()
    yield root
    project._INDEXES.pop(str(root), None)


@pytest.fixture
def child():
    process = index_process.FactsProcess()
    yield process
    process.close()


def _no_parse_here(monkeypatch):
    def refuse(*_args):
        raise AssertionError("the server parsed a file for the index")
    monkeypatch.setattr(ws, "file_facts", refuse)
    monkeypatch.setattr(index_process, "file_facts", refuse)


def _exact(root: Path, path: Path):
    """The answer of the old path: every file parsed in this process (the server's index kept)."""
    kept = project._INDEXES.pop(str(root), None)
    try:
        return project.usage_for(path, [root])
    finally:
        project._INDEXES.pop(str(root), None)
        if kept is not None:
            project._INDEXES[str(root)] = kept


def test_changed_files_are_parsed_in_the_child_not_in_the_server(workspace, child, monkeypatch):
    path = workspace / "pkg/compat.py"
    exact = _exact(workspace, path)
    _no_parse_here(monkeypatch)
    assert project.usage_if_ready(path, [workspace], child.facts) == exact
    assert child.started == 1
    _write(workspace, {"pkg/user.py": "from .compat import OrderedDict\n"})
    answer = project.usage_if_ready(path, [workspace], child.facts)
    assert answer is not None and "OrderedDict" in answer.names  # the edit reached the index
    monkeypatch.undo()
    assert answer == _exact(workspace, path)


def test_the_analysed_file_is_indexed_from_its_analysis(workspace, child, monkeypatch):
    path = workspace / "pkg/compat.py"
    project.usage_if_ready(path, [workspace], child.facts)  # built
    text = COMPAT + "__all__ = ['use']\nx = getattr(use, 'Thing')\n"
    path.write_text(text)
    exact = _exact(workspace, path)
    project.usage_if_ready(path, [workspace], child.facts)  # built again (the old facts of compat)
    path.write_text(text + "\n")
    text += "\n"
    _no_parse_here(monkeypatch)
    monkeypatch.setattr(child, "facts", lambda items: pytest.fail(f"parsed {items}"))
    pending = project.usage_if_ready(path, [workspace], child.facts, text)
    assert isinstance(pending, PendingUse)
    outcome = analyze_source(text, path.as_uri(), usage=pending)  # the worker's side
    assert pending.resolve(outcome.index_facts) == exact
    project.deliver(path, outcome.index_facts)
    assert project.usage_if_ready(path, [workspace], child.facts, text) == exact  # now indexed


def test_an_older_analysis_never_indexes_its_facts_for_a_newer_text(workspace, child):
    path = workspace / "pkg/compat.py"
    project.usage_if_ready(path, [workspace], child.facts)
    old, new = COMPAT + "# 1\n", COMPAT + "def __getattr__(n): ...\n"
    path.write_text(old)
    project.usage_if_ready(path, [workspace], child.facts, old)
    path.write_text(new)
    os.utime(path, ns=(1, 1))  # another stamp, whatever the clock's resolution
    project.usage_if_ready(path, [workspace], child.facts, new)
    project.deliver(path, file_facts(str(path), old))  # the first analysis ends last
    answer = project.usage_if_ready(path, [workspace], child.facts)
    assert answer is not None and answer.everything == "the module defines __getattr__"


HOSTILE = {
    "pkg/broken.py": "from .compat import (\n",
    "pkg/nul.py": "import os\x00\n",
    "pkg/deep.py": "x = " + "(" * 300 + ")" * 300 + "\nfrom .compat import OrderedDict\n",
}


def test_hostile_files_give_the_same_answer_as_before(workspace, child, monkeypatch):
    _write(workspace, HOSTILE)
    (workspace / "pkg/latin.py").write_bytes(b"from .compat import Helper\n# \xe9\xff\n")
    (workspace / "pkg/huge.py").write_bytes(b"from .compat import Base\n" + b"#" * (project.MAX_MODULE_BYTES + 10))
    os.symlink("loop_b.py", workspace / "pkg/loop_a.py")
    os.symlink("loop_a.py", workspace / "pkg/loop_b.py")
    os.symlink(workspace / "pkg", workspace / "pkg/again")  # a folder loop
    os.mkfifo(workspace / "pkg/fifo.py")
    path = workspace / "pkg/compat.py"
    exact = _exact(workspace, path)
    assert exact is not None and "Helper" in exact.names
    _no_parse_here(monkeypatch)
    assert project.usage_if_ready(path, [workspace], child.facts) == exact


def test_a_hostile_analysed_file_is_indexed_as_before(workspace, child, monkeypatch):
    path = workspace / "pkg/compat.py"
    project.usage_if_ready(path, [workspace], child.facts)
    text = "from .base import Base\ndef broken(:\n"
    path.write_text(text)
    exact = _exact(workspace, path)
    project.usage_if_ready(path, [workspace], child.facts)
    path.write_text(text + "#\n")
    text += "#\n"
    _no_parse_here(monkeypatch)
    pending = project.usage_if_ready(path, [workspace], child.facts, text)
    assert isinstance(pending, PendingUse)
    with pytest.raises(InvalidInput):
        analyze_source(text, path.as_uri(), usage=pending)
    project.deliver_unparsable(path, text)
    assert project.usage_if_ready(path, [workspace], child.facts) == exact
    assert project._INDEXES[str(workspace)].index.digest(str(path)) == ws.unparsed_facts(text).digest


def test_a_dead_child_proves_nothing_once_and_is_replaced(workspace, child):
    path = workspace / "pkg/compat.py"
    assert project.usage_if_ready(path, [workspace], child.facts) is not None
    child._child.kill()
    child._child.wait()
    _write(workspace, {"pkg/user.py": "from .compat import OrderedDict\n"})
    assert project.usage_if_ready(path, [workspace], child.facts) is None  # nothing proven
    answer = project.usage_if_ready(path, [workspace], child.facts)
    assert answer is not None and "OrderedDict" in answer.names and child.started == 2


def test_the_child_stops_after_a_big_file_only(child):
    child.recycle_bytes = 40
    small = [(f"/w/m{i}.py", "import os\n") for i in range(10)]  # 100 bytes in all
    assert child.facts(small) == [file_facts(path, text) for path, text in small]
    assert child.running
    assert child.facts([("/w/a.py", "import os\n" * 5)]) == [file_facts("/w/a.py", "import os\n" * 5)]
    assert not child.running


class InlinePool:
    async def run(self, fn, *args):
        return fn(*args)

    def close(self) -> None:
        pass


async def _app_with_compat_indexed(workspace, child, monkeypatch) -> tuple[KeelApp, Path]:
    """An app analysing in-process, whose index (parsed by ``child``) holds pkg/compat.py."""
    monkeypatch.setattr(advisor_config, "_PARSER", child)
    app = KeelApp(workspace_folders=[workspace])
    app.workers.close()
    app.workers = InlinePool()  # type: ignore[assignment]
    path = workspace / "pkg/compat.py"
    await advisor_ops.analyze_text(app, SourceText(path.as_uri(), COMPAT, None, path))  # built
    return app, path


async def test_keel_analyze_indexes_the_file_from_its_worker(workspace, child, monkeypatch):
    app, path = await _app_with_compat_indexed(workspace, child, monkeypatch)
    text = COMPAT + "x = getattr(use, 'OrderedDict')\n"
    path.write_text(text)
    exact = _exact(workspace, path)
    expected = analyze_source(text, path.as_uri(), usage=exact).findings
    _no_parse_here(monkeypatch)
    started = child.started
    outcome, cached = await advisor_ops.analyze_text(app, SourceText(path.as_uri(), text, None, path))
    assert not cached and outcome.findings == expected and outcome.index_facts is not None
    assert child.started == started and project.usage_if_ready(path, [workspace], child.facts) == exact
    again, cached = await advisor_ops.analyze_text(app, SourceText(path.as_uri(), text, None, path))
    assert cached and again is outcome  # cached under the answer the index now gives


async def test_an_analysed_file_that_does_not_parse_is_indexed_without_a_parse(workspace, child, monkeypatch):
    app, path = await _app_with_compat_indexed(workspace, child, monkeypatch)
    text = "from .base import Base\ndef broken(:\n"
    path.write_text(text)
    exact = _exact(workspace, path)
    _no_parse_here(monkeypatch)
    monkeypatch.setattr(child, "facts", lambda items: pytest.fail(f"parsed {items}"))
    with pytest.raises(InvalidInput):
        await advisor_ops.analyze_text(app, SourceText(path.as_uri(), text, None, path))
    assert project.usage_if_ready(path, [workspace], child.facts) == exact
    assert project._INDEXES[str(workspace)].index.digest(str(path)) == ws.unparsed_facts(text).digest


def test_the_parser_child_runs_isolated(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "ast.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "keel").mkdir()
    (tmp_path / "keel/__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.setattr(index_process.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    process = index_process.FactsProcess()
    try:
        assert process.facts([("/w/a.py", "import os\n")]) == [file_facts("/w/a.py", "import os\n")]
    finally:
        process.close()
    assert not marker.exists()


def test_a_huge_analysed_file_is_indexed_as_before_from_its_truncated_read(workspace, child, monkeypatch):
    path = workspace / "pkg/compat.py"
    project.usage_if_ready(path, [workspace], child.facts)
    text = COMPAT + "#" * (project.MAX_MODULE_BYTES + 10) + "\ndef __getattr__(name): ...\n"
    path.write_text(text)
    exact = _exact(workspace, path)
    _no_parse_here(monkeypatch)
    # the index reads a prefix of it, which is not the analysed text: the child parses that prefix
    assert project.usage_if_ready(path, [workspace], child.facts, text) == exact
    assert exact is not None and not exact.everything  # the __getattr__ past the prefix is not seen
