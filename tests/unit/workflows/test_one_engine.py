"""One engine: the review workflow's static stages and keel/analyze report the same findings.

Same files, same settings (``advisor.rules``, ``advisor.exclude``, the folder's
``[tool.keel.advisor]``, suppression comments): the union of the "Static analysis"
and "Bug patterns" stages equals what keel/analyze gives for each file (rule id,
severity, message, range and finding id), and a rule disabled in the settings is
gone from both.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from keel.app import advisor_ops
from keel.app.documents import SourceText
from keel.app.state import KeelApp
from keel.protocol.settings import AdvisorSettings
from keel.workflows.definitions import BUILTIN_WORKFLOWS
from keel.workflows.sources import SourceFile
from keel.workflows.stages_static import run_static_stage, static_context
from keel.workflows.state import StageState

FILES = {
    "demo.py": """
        import os


        def answer(x):
            if x is "yes":
                return f"yes"
            try:
                return {"a": 1, "a": 2}
            except:
                pass
            assert (x, "never fails")


        class Plain:
            items = []

            def add(self, item):
                self.items.append(item)
    """,
    "pkg/__init__.py": "",
    "pkg/base.py": """
        from pydantic import BaseModel


        class Model(BaseModel):
            pass
    """,
    "pkg/models.py": """
        from .base import Model


        class User(Model):
            tags: list[str] = []  # pydantic copies it per instance

            def tag(self, name):
                self.tags.append(name)


        def check(value):
            return value is 1  # noqa: F632
    """,
    "tests/test_x.py": """
        def test_x(v):
            assert v is "x"
    """,
}


class InlinePool:
    async def run(self, fn, *args):
        return fn(*args)

    def close(self) -> None:
        pass


async def _inline(fn, *args):
    return fn(*args)


def _workspace(tmp_path: Path) -> list[SourceFile]:
    files = []
    for rel, text in FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        files.append(SourceFile(rel, path.resolve(), 0, path.stat().st_size))
    return files


def _key(f):
    r = f.range
    return (f.uri, f.id, f.rule, f.severity, f.message,
            (r.start.line, r.start.character, r.end.line, r.end.character))


async def _analyze(app: KeelApp, files: list[SourceFile]) -> set:
    out = set()
    for f in files:
        source = SourceText(f.uri, f.path.read_text(), None, f.path)
        outcome, _ = await advisor_ops.analyze_text(app, source)
        out.update(_key(finding) for finding in outcome.findings)
    return out


async def _review(root: Path, settings: AdvisorSettings, files: list[SourceFile]) -> set:
    review = BUILTIN_WORKFLOWS["review"]
    context = static_context(review, root, settings)
    out = set()
    for stage_def in review.stages:
        if stage_def.kind != "static":
            continue
        stage = StageState(stage_def.id, stage_def.title, stage_def.kind)
        await run_static_stage(stage_def, stage, files, _inline, settings.thresholds, context)
        assert stage.status == "succeeded"
        out.update(_key(finding) for finding in stage.findings)
    return out


def _app(tmp_path: Path, settings: AdvisorSettings) -> KeelApp:
    app = KeelApp(workspace_folders=[tmp_path.resolve()])
    app.workers.close()
    app.workers = InlinePool()  # type: ignore[assignment]
    app.settings_load.settings.advisor = settings
    return app


async def test_review_and_analyze_report_identical_findings(tmp_path):
    files = _workspace(tmp_path)
    settings = AdvisorSettings()
    analyzed = await _analyze(_app(tmp_path, settings), files)
    reviewed = await _review(tmp_path.resolve(), settings, files)
    assert reviewed == analyzed
    rules = {(Path(k[0]).name, k[2]) for k in analyzed}
    # the workflow's old patterns are advisor rules now, in both places
    assert {("demo.py", "is-literal"), ("demo.py", "fstring-no-placeholder"),
            ("demo.py", "duplicate-dict-key"), ("demo.py", "assert-tuple"),
            ("demo.py", "mutable-class-attribute"), ("demo.py", "bare-except"),
            ("demo.py", "unused-import")} <= rules
    # the pydantic base in another module is followed; the noqa comment is honoured
    assert not {r for name, r in rules if name == "models.py"}
    severities = {k[2]: k[3] for k in analyzed}
    assert severities["is-literal"] == "error"


async def test_settings_and_pyproject_disable_rules_in_both_engines(tmp_path):
    files = _workspace(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.keel.advisor]\nrules = { "F601" = false }\nexclude = ["tests/"]\n')
    settings = AdvisorSettings.model_validate({"rules": {"is-literal": False}})
    analyzed = await _analyze(_app(tmp_path, settings), files)
    reviewed = await _review(tmp_path.resolve(), settings, files)
    assert reviewed == analyzed
    rules = {k[2] for k in analyzed}
    assert "is-literal" not in rules and "duplicate-dict-key" not in rules
    assert "assert-tuple" in rules
    assert not any("tests/" in k[0] for k in analyzed)  # excluded in both
