"""Advisor findings as diagnostics (open, save, debounced change) and quick fixes as code actions.

Both go through the dispatch path's ``guarded`` runner, like every keel/*
request: admitted per method, bounded by the deadline of the keel/* method
doing the same work (``keel/analyze`` for diagnostics, ``keel/generateFix``
for code actions), counted in flight, errors mapped, text scrubbed. A
cancelled code action propagates its cancellation (answered -32800).
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from lsprotocol import types

from keel.errors import KeelError
from keel.observability.paths import PathScrubber
from keel.protocol.advisor import Finding, GenerateFixParams
from keel.protocol.methods import ANALYZE, GENERATE_FIX
from keel.settings import configured_deadline_ms

from .dispatch import DispatchError, guarded

log = structlog.get_logger(__name__)

DEBOUNCE_S = 0.5
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}


def _range(r) -> types.Range:
    return types.Range(start=types.Position(line=r.start.line, character=r.start.character),
                       end=types.Position(line=r.end.line, character=r.end.character))


def diagnostic_of(finding: Finding, scrub: PathScrubber | None = None) -> types.Diagnostic:
    return types.Diagnostic(
        range=_range(finding.range), message=scrub.text(finding.message) if scrub else finding.message, severity=SEVERITY[finding.severity],
        source="keel", code=finding.rule,
        data={"findingId": finding.id, "fixable": finding.fixable},
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
        edits = [types.TextEdit(range=_range(e.range), new_text=e.new_text) for e in proposal.edits]
        actions.append(types.CodeAction(
            title=scrub.text(f"Keel: {proposal.title or proposal.explanation}"), kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic], is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: edits}),
        ))
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
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    async def code_action(ls, params: types.CodeActionParams) -> list[types.CodeAction]:
        return await guarded(ls.app, types.TEXT_DOCUMENT_CODE_ACTION, ls.protocol.msg_id,
                             lambda: _code_actions(ls, params),
                             configured_deadline_ms(ls.app.settings, GENERATE_FIX))

