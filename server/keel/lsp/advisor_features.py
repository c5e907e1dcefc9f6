"""Advisor findings as diagnostics (open, save, debounced change) and quick fixes as code actions.

Both go through the dispatch path's ``guarded`` runner, like every keel/*
request: admitted per method, bounded by the deadline of the keel/* method
doing the same work (``keel/analyze`` for diagnostics, ``keel/generateFix``
for code actions), counted in flight, errors mapped, text scrubbed. A
cancelled code action propagates its cancellation (answered -32800).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from lsprotocol import types

from keel.errors import KeelError
from keel.observability.paths import PathScrubber
from keel.protocol.advisor import Finding, FixProposal, GenerateFixParams
from keel.protocol.methods import ANALYZE, GENERATE_FIX
from keel.settings import configured_deadline_ms

from .dispatch import DispatchError, guarded

log = structlog.get_logger(__name__)

DEBOUNCE_S = 0.5
FIX_ALL_KIND = "source.fixAll.keel"  # as Ruff's source.fixAll.ruff: safe fixes only
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}


def _range(r) -> types.Range:
    return types.Range(start=types.Position(line=r.start.line, character=r.start.character),
                       end=types.Position(line=r.end.line, character=r.end.character))


def diagnostic_of(finding: Finding, scrub: PathScrubber | None = None) -> types.Diagnostic:
    return types.Diagnostic(
        range=_range(finding.range), message=scrub.text(finding.message) if scrub else finding.message, severity=SEVERITY[finding.severity],
        source="keel", code=finding.rule,
        data={"findingId": finding.id, "fixable": finding.fixable, "fixSafety": finding.fix_safety},
    )


class DiagnosticsPublisher:
    def __init__(self, server) -> None:
        self._server = server
        self._pending: dict[str, asyncio.Task[None]] = {}

    @property
    def enabled(self) -> bool:
        return self._server.app.settings.advisor.diagnostics

    def schedule(self, uri: str, delay: float) -> None:
        if not self.enabled or not uri.endswith((".py", ".pyi")):
            return
        previous = self._pending.pop(uri, None)
        if previous is not None:
            previous.cancel()  # a newer edit supersedes the pending analysis
        self._pending[uri] = self._server.spawn(self._publish(uri, delay))

    async def _publish(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        from keel.app import advisor_ops
        from keel.app.documents import python_source

        app = self._server.app

        async def analyse():
            source = await python_source(app, uri)
            outcome, _ = await advisor_ops.analyze_text(app, source)
            return source, outcome

        try:
            source, outcome = await guarded(app, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, f"diagnostics {uri}",
                                            analyse, configured_deadline_ms(app.settings, ANALYZE))
        except DispatchError as failure:
            self._publish_error(uri, failure.error)
            return
        finally:
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]
        scrub = PathScrubber(app.workspace_folders)
        self._send(uri, source.version, [diagnostic_of(f, scrub) for f in outcome.findings])

    def _publish_error(self, uri: str, exc: KeelError) -> None:
        if exc.code != "analysis.syntax_error":
            log.info("no diagnostics", code=exc.code)
            self._send(uri, None, [])
            return
        line = int(exc.details.get("line", 0))
        char = int(exc.details.get("character", 0))
        where = types.Range(start=types.Position(line=line, character=char),
                            end=types.Position(line=line, character=char + 1))
        self._send(uri, None, [types.Diagnostic(range=where, message=exc.message, source="keel",
                                                severity=types.DiagnosticSeverity.Error,
                                                code="syntax-error")])

    def clear(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self._send(uri, None, [])

    def _send(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics))


async def _code_actions(server, params: types.CodeActionParams) -> list[types.CodeAction]:
    from keel.app import advisor_ops

    actions: list[types.CodeAction] = []
    scrub = PathScrubber(server.app.workspace_folders)
    uri = params.text_document.uri
    for diagnostic in params.context.diagnostics:
        data: Any = diagnostic.data
        if diagnostic.source != "keel" or not isinstance(data, dict) or not data.get("fixable"):
            continue
        try:
            proposal = await advisor_ops.generate_fix(
                server.app, GenerateFixParams(uri=uri, finding_id=data["findingId"]))
        except KeelError as exc:
            log.info("no quick fix", code=exc.code)
            continue
        actions.append(quick_fix(proposal, diagnostic, scrub))
    return actions


def quick_fix(proposal: FixProposal, diagnostic: types.Diagnostic,
              scrub: PathScrubber) -> types.CodeAction:
    """Only a safe fix is preferred: VS Code's Auto Fix applies a preferred fix unasked."""
    title = proposal.title or proposal.explanation
    if proposal.safety != "safe" and "(unsafe)" not in title:
        title += " (unsafe)" if proposal.safety == "unsafe" else " (review)"
    edits = [types.TextEdit(range=_range(e.range), new_text=e.new_text) for e in proposal.edits]
    return types.CodeAction(
        title=scrub.text(f"Keel: {title}"), kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic], is_preferred=True if proposal.safety == "safe" else None,
        edit=types.WorkspaceEdit(changes={proposal.uri: edits}),
        data={"findingId": proposal.finding_id, "safety": proposal.safety,
              "safetyReason": scrub.text(proposal.safety_reason) if proposal.safety_reason else None,
              "source": proposal.source},
    )


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a request's ``context.only`` asks for ``kind`` (a parent kind asks for it too)."""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


async def _fix_all(server, params: types.CodeActionParams) -> list[types.CodeAction]:
    from keel.app.safe_fixes import fix_all_safe

    uri = params.text_document.uri
    try:
        fixed = await fix_all_safe(server.app, uri)
    except KeelError as exc:
        log.info("no fix-all", code=exc.code)
        return []
    if fixed.applied == 0:
        return []
    lines = fixed.old_text.splitlines(keepends=True)
    end = types.Position(line=len(lines), character=0)  # past the last line: the whole text
    whole = types.Range(start=types.Position(line=0, character=0), end=end)
    return [types.CodeAction(
        title=f"Keel: Fix all safe issues ({fixed.applied})", kind=FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=whole,
                                                               new_text=fixed.new_text)]}),
        data={"fixed": fixed.applied, "skippedUnsafe": fixed.unsafe_left},
    )]


async def code_actions(server, params: types.CodeActionParams) -> list[types.CodeAction]:
    only = params.context.only
    actions: list[types.CodeAction] = []
    if wants(only, types.CodeActionKind.QuickFix) and params.context.diagnostics:
        actions += await _code_actions(server, params)
    # Never unasked: the fix-all runs every rule fix, so only when a client names it.
    if only is not None and wants(only, FIX_ALL_KIND):
        actions += await _fix_all(server, params)
    return actions


def register(server) -> None:
    publisher = DiagnosticsPublisher(server)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
        publisher.schedule(params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
        publisher.schedule(params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
        publisher.schedule(params.text_document.uri, DEBOUNCE_S)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
        publisher.clear(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix,
                                                               FIX_ALL_KIND]))
    async def code_action(ls, params: types.CodeActionParams) -> list[types.CodeAction]:
        return await guarded(ls.app, types.TEXT_DOCUMENT_CODE_ACTION, ls.protocol.msg_id,
                             lambda: code_actions(ls, params),
                             configured_deadline_ms(ls.app.settings, GENERATE_FIX))

