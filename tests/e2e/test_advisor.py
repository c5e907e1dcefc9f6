"""End to end: the Refactor Advisor through the real server."""

from __future__ import annotations

import asyncio
import os

import pytest
from lsprotocol import types

from .helpers import (
    component,
    error_data,
    initialize,
    on_shared_server,
    poll_until,
    request,
    request_error,
)

pytestmark = pytest.mark.timeout(90)

SAMPLE = """import os
import sys


def load(path, cache={}):
    try:
        return open(path).read()
    except:
        pass


def main():
    return sys.argv
"""


def big_source(functions: int) -> str:
    body = []
    for i in range(functions):
        body.append(
            f"def f{i}(a, b, c):\n"
            f"    total = 0\n"
            f"    for x in range(a):\n"
            f"        if x % 2 and b or c:\n"
            f"            total += x * {i}\n"
            f"        elif x > b:\n"
            f"            total -= 1\n"
            f"    while total > 100:\n"
            f"        total //= 2\n"
            f"    return total\n\n")
    return "".join(body)


@on_shared_server
async def test_analyze_saved_file_then_cache_hit(shared):
    lsp, path = shared.lsp, shared.workspace / "sample.py"
    path.write_text(SAMPLE)
    first = await request(lsp, "keel/analyze", {"uri": path.as_uri()})
    rules = {f["rule"] for f in first["findings"]}
    assert {"mutable-default-argument", "bare-except", "unused-import"} <= rules
    assert first["metrics"]["functions"] == 2 and first["cached"] is False
    second = await request(lsp, "keel/analyze", {"uri": path.as_uri()})
    assert second["cached"] is True and second["findings"] == first["findings"]


@on_shared_server
async def test_unsaved_buffer_is_what_gets_analysed(shared):
    lsp, path = shared.lsp, shared.workspace / "buffer.py"
    path.write_text("def ok():\n    return 1\n")
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=3, text=SAMPLE)))
    result = await request(lsp, "keel/analyze", {"uri": path.as_uri()})
    assert result["version"] == 3
    assert any(f["rule"] == "bare-except" for f in result["findings"])


@on_shared_server
async def test_generate_fix_and_content_modified(shared):
    lsp, path = shared.lsp, shared.workspace / "fixme.py"
    path.write_text(SAMPLE)
    uri = path.as_uri()
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=SAMPLE)))
    result = await request(lsp, "keel/analyze", {"uri": uri})
    finding = next(f for f in result["findings"] if f["rule"] == "mutable-default-argument")
    proposal = await request(lsp, "keel/generateFix", {"uri": uri, "findingId": finding["id"]})
    assert proposal["source"] == "rule" and proposal["version"] == 1 and proposal["edits"]
    assert proposal["safety"] == finding["fixSafety"] == "unsafe" and proposal["safetyReason"]
    # The user rewrites that function: the finding no longer exists in the new version.
    changed = SAMPLE.replace("def load(path, cache={}):", "def load(path, cache=None):")
    lsp.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=changed)]))
    exc = await request_error(lsp, "keel/generateFix", {"uri": uri, "findingId": finding["id"]})
    assert exc.code == -32801


async def test_validation_errors_have_their_own_codes(lsp, workspace):
    await initialize(lsp, workspace, {"settings": {"advisor": {"maxFileBytes": 100}}})
    broken = workspace / "broken.py"
    broken.write_text("def f(:\n    pass\n")
    exc = await request_error(lsp, "keel/analyze", {"uri": broken.as_uri()})
    assert exc.code == -32602 and error_data(exc)["code"] == "analysis.syntax_error"
    assert error_data(exc)["line"] == 0
    notes = workspace / "notes.txt"
    notes.write_text("hello")
    exc = await request_error(lsp, "keel/analyze", {"uri": notes.as_uri()})
    assert error_data(exc)["code"] == "analysis.unsupported_language" and ".py" in exc.message
    large = workspace / "large.py"
    large.write_text("x = 1\n" * 100)
    exc = await request_error(lsp, "keel/analyze", {"uri": large.as_uri()})
    assert exc.code == -32602 and error_data(exc)["code"] == "analysis.file_too_large"
    binary = workspace / "blob.py"
    binary.write_bytes(b"x\x00y")
    exc = await request_error(lsp, "keel/analyze", {"uri": binary.as_uri()})
    assert error_data(exc)["code"] == "analysis.binary_file"


async def until_a_worker_is_busy(lsp) -> None:
    """Ask the server (keel/health's analysis component) until a worker is analysing."""
    await poll_until(lambda: request(lsp, "keel/health"),
                     lambda health: " 0 busy" not in component(health, "analysis")["detail"],
                     "a worker is analysing", interval_s=0.01)


async def test_cancel_mid_analysis_of_a_huge_file_frees_the_worker(lsp, workspace):
    await initialize(lsp, workspace)
    huge = workspace / "huge.py"
    huge.write_text(big_source(5000))  # 55,000 lines
    small = workspace / "small.py"
    small.write_text("def f():\n    return 1\n")
    await request(lsp, "keel/analyze", {"uri": small.as_uri()})  # the pool is warm and imported
    small.write_text("def f():\n    return 2\n")
    # send_request (not the async variant, which only sends once awaited) puts it on the wire now.
    future = asyncio.wrap_future(lsp.protocol.send_request("keel/analyze", {"uri": huge.as_uri()},
                                                           msg_id="huge-1"))
    await until_a_worker_is_busy(lsp)  # the analysis is running in a worker: cancel it there
    lsp.protocol.notify("$/cancelRequest", types.CancelParams(id="huge-1"))
    with pytest.raises(Exception) as info:
        await future
    assert getattr(info.value, "code", None) == -32800
    assert error_data(info.value)["errorType"] == "cancelled"
    result = await request(lsp, "keel/analyze", {"uri": small.as_uri()})
    assert result["metrics"]["functions"] == 1
    health = await request(lsp, "keel/health")
    analysis = component(health, "analysis")
    assert "0 busy" in analysis["detail"] and "1 workers killed" in analysis["detail"]


async def test_deadline_is_a_timeout_not_a_cancel(lsp, workspace):
    await initialize(lsp, workspace)
    huge = workspace / "huge.py"
    huge.write_text(big_source(5000))
    exc = await request_error(lsp, "keel/analyze", {"uri": huge.as_uri(), "timeoutMs": 200})
    assert exc.code == -32803
    data = error_data(exc)
    assert data["errorType"] == "timeout" and data["code"] == "deadline.exceeded" and data["transient"]


@on_shared_server
async def test_diagnostics_published_on_open(shared):
    lsp, path = shared.lsp, shared.workspace / "diag.py"
    # a module that logs: the fix of a discarding bare except logs, so only there is it offered
    text = "import logging\n" + SAMPLE
    path.write_text(text)
    assert path.as_uri() not in lsp.diagnostics
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=text)))
    # pytest-lsp keeps the last publishDiagnostics per document (others open here publish too).
    diagnostics = await poll_until(lambda: lsp.diagnostics.get(path.as_uri()), bool,
                                   "diagnostics for diag.py are published")
    codes = {d.code for d in diagnostics}
    assert "bare-except" in codes and all(d.source == "keel" for d in diagnostics)
    actions = await lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=[d for d in diagnostics if d.code == "bare-except"])))
    assert actions and actions[0].edit.changes[path.as_uri()]
    # Titled as an action, with its safety, as ruff's quick fixes are.
    title = actions[0].title
    assert title.startswith("Keel: Narrow bare except to Exception") and title.endswith("(unsafe)")
    assert not actions[0].is_preferred and actions[0].data["safetyReason"]  # Auto Fix skips it


@on_shared_server
async def test_fix_all_safe_through_the_real_server(shared):
    lsp, path = shared.lsp, shared.workspace / "fixall.py"
    # A third-party import: removing it is never proven safe (importing it may register something).
    text = "import plugin_registry\n\n\ndef f(x):\n    y = 1\n    return x\n    print('dead')\n"
    path.write_text(text)
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=text)))
    whole = types.Range(start=types.Position(line=0, character=0),
                        end=types.Position(line=7, character=0))
    [action] = await lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.keel"])))
    assert action.kind == "source.fixAll.keel" and action.data["fixed"] == 2
    [edit] = action.edit.changes[path.as_uri()]
    assert edit.new_text == "import plugin_registry\n\n\ndef f(x):\n    return x\n"  # the unsafe one stays


@on_shared_server
async def test_analyze_of_a_fifo_is_refused_and_the_server_keeps_answering(shared):
    lsp, fifo = shared.lsp, shared.workspace / "pipe.py"
    os.mkfifo(fifo)
    for _ in range(3):  # each would have pinned a thread for good
        error = await request_error(lsp, "keel/analyze", {"uri": fifo.as_uri()})
        assert error.code == -32602
        assert error_data(error)["code"] == "analysis.not_a_file"
        assert "pipe.py" in error.message and "FIFO" in error.message
    assert component(await request(lsp, "keel/health"), "analysis")["status"] == "ok"


async def test_rules_and_exclude_from_settings_and_pyproject(lsp, workspace):
    (workspace / "pyproject.toml").write_text(
        '[tool.keel.advisor]\nexclude = ["tests/"]\nrules = { "E722" = false }\n')
    await initialize(lsp, workspace, {"settings": {"advisor": {"rules": {"F401": False}}}})
    (workspace / "tests").mkdir()
    for path in (workspace / "app.py", workspace / "tests" / "test_app.py"):
        path.write_text(SAMPLE)
    result = await request(lsp, "keel/analyze", {"uri": (workspace / "app.py").as_uri()})
    assert {f["rule"] for f in result["findings"]} == {"mutable-default-argument"}
    excluded = await request(lsp, "keel/analyze",
                             {"uri": (workspace / "tests" / "test_app.py").as_uri()})
    assert excluded["findings"] == [] and excluded["metrics"]["functions"] == 2
