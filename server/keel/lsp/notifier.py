"""The app's Notifier and ProgressSink, implemented with pygls."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from keel.observability.paths import PathScrubber

from .pygls_adapter import AdaptedProtocol

logger = logging.getLogger(__name__)

_LEVELS = {"error": types.MessageType.Error, "warning": types.MessageType.Warning,
           "info": types.MessageType.Info}


class LspNotifier:
    def __init__(self, server: LanguageServer) -> None:
        self._server = server

    def _scrubber(self) -> PathScrubber:
        app = getattr(self._server, "app", None)
        return PathScrubber(app.workspace_folders if app is not None else [])

    def notify(self, method: str, payload: dict) -> None:
        self._server.protocol.notify(method, self._scrubber().value(payload))

    def show_message(self, level: str, text: str) -> None:
        self._server.window_show_message(types.ShowMessageParams(
            type=_LEVELS.get(level, types.MessageType.Info), message=self._scrubber().text(text)))

    def publish_diagnostics(self, uri: str, version: int | None, diagnostics: list[dict]) -> None:
        protocol = cast(AdaptedProtocol, self._server.protocol)  # KeelServer's protocol_cls
        protocol.notify(
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            types.PublishDiagnosticsParams(
                uri=uri, version=version,
                diagnostics=[protocol.structure(d, types.Diagnostic)
                             for d in diagnostics],
            ),
        )

    async def create(self, token: str | int) -> bool:
        caps = self._server.client_capabilities
        if not (caps and caps.window and caps.window.work_done_progress):
            return False
        future = self._server.work_done_progress.create_async(token)
        try:
            # Shielded: in pygls 2.1 a timed-out create later pops "Error in server".
            await asyncio.wait_for(asyncio.shield(future), timeout=1.0)
        except Exception:  # timeout or a client error: progress is optional
            logger.warning("client did not create progress token")
            return False
        return True

    def begin(self, token, title: str, message: str | None, cancellable: bool) -> None:
        self._server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, message=message, cancellable=cancellable))

    def report(self, token, message: str | None, percentage: int | None) -> None:
        self._server.work_done_progress.report(
            token, types.WorkDoneProgressReport(message=message, percentage=percentage))

    def end(self, token, message: str | None) -> None:
        self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
