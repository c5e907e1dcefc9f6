"""Quick fixes show their safety; only safe ones are preferred; source.fixAll.keel applies safe fixes only."""

from __future__ import annotations

import pytest
from lsprotocol import types

from keel.app import advisor_ops
from keel.app.state import KeelApp
from keel.lsp.advisor_features import FIX_ALL_KIND, code_actions, diagnostic_of
from keel.lsp.capabilities import CAPABILITIES

pytestmark = pytest.mark.timeout(60)
# unused-variable and unreachable-code are safe; the mutable default is not, nor is removing an
# unused import of a third-party module (importing it may register something), whatever the
# workspace import index says.
FIXABLE = ("import plugin_registry\n\n\ndef f(x=[]):\n    y = 1\n    return x\n"
           "    print('dead')\n")


class FakeServer:
    def __init__(self, app: KeelApp) -> None:
        self.app = app


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "fixme.py").write_text(FIXABLE, encoding="utf-8")
    made = KeelApp(workspace_folders=[tmp_path], worker_pool_size=1)
    yield made, (tmp_path / "fixme.py").as_uri()
    made.close()


def params(uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None):
    whole = types.Range(start=types.Position(line=0, character=0),
                        end=types.Position(line=7, character=0))
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=diagnostics, only=only))


async def diagnostics_of(app: KeelApp, uri: str) -> list[types.Diagnostic]:
    source = await advisor_ops.python_source(app, uri)
    outcome, _ = await advisor_ops.analyze_text(app, source)
    return [diagnostic_of(f) for f in outcome.findings]


async def test_only_safe_quick_fixes_are_preferred_and_unsafe_ones_say_so(workspace):
    app, uri = workspace
    diagnostics = await diagnostics_of(app, uri)
    by_rule = {d.code: d for d in diagnostics}
    assert by_rule["unused-import"].data["fixSafety"] == "unsafe"
    assert by_rule["unused-variable"].data["fixSafety"] == "safe"
    actions = await code_actions(FakeServer(app), params(uri, diagnostics))
    assert actions, "no quick fix offered"
    for action in actions:
        rule = action.diagnostics[0].code
        safety = action.data["safety"]
        assert safety == by_rule[rule].data["fixSafety"]
        assert action.data["safetyReason"], rule  # the reason travels with the action
        if safety == "safe":
            assert action.is_preferred is True and "(unsafe)" not in action.title
        else:
            # Hostile case: VS Code's Auto Fix applies a preferred fix unasked.
            assert not action.is_preferred and action.title.endswith("(unsafe)")
    assert {a.data["safety"] for a in actions} == {"safe", "unsafe"}


async def test_fix_all_applies_the_safe_fixes_and_leaves_the_unsafe_ones(workspace):
    app, uri = workspace
    [action] = await code_actions(FakeServer(app), params(uri, [], only=[FIX_ALL_KIND]))
    assert action.kind == FIX_ALL_KIND and action.data == {"fixed": 2, "skippedUnsafe": 2}
    assert action.title == "Keel: Fix all safe issues (2)"
    [edit] = action.edit.changes[uri]
    assert edit.range.start == types.Position(line=0, character=0)
    assert edit.new_text == "import plugin_registry\n\n\ndef f(x=[]):\n    return x\n"


async def test_fix_all_is_offered_for_its_parent_kinds_and_never_unasked(workspace):
    app, uri = workspace
    server = FakeServer(app)
    for parent in ("source", "source.fixAll"):
        [action] = await code_actions(server, params(uri, [], only=[parent]))
        assert action.kind == FIX_ALL_KIND
    # A plain lightbulb request (no `only`) and a quick-fix request get no fix-all.
    assert await code_actions(server, params(uri, [])) == []
    assert await code_actions(server, params(uri, [], only=["quickfix"])) == []
    assert await code_actions(server, params(uri, [], only=["source.organizeImports"])) == []


async def test_fix_all_offers_nothing_when_no_safe_fix_exists(tmp_path):
    (tmp_path / "a.py").write_text("import plugin_registry\n", encoding="utf-8")  # unsafe fix only
    app = KeelApp(workspace_folders=[tmp_path], worker_pool_size=1)
    try:
        assert await code_actions(FakeServer(app), params(
            (tmp_path / "a.py").as_uri(), [], only=[FIX_ALL_KIND])) == []
    finally:
        app.close()


def test_the_fix_all_kind_is_advertised():
    assert CAPABILITIES["codeActionProvider"]["codeActionKinds"] == ["quickfix", FIX_ALL_KIND]
