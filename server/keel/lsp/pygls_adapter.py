"""The one module that touches pygls's private members.

pygls has no public way to write a message as it is, to answer a request in its place, to
change how a handler's outcome is answered, to see its in-flight requests, whether
``shutdown`` came, or its converter. ``KeelProtocol`` needs each of these. They are named
here once, behind public methods; pyproject pins the pygls range they were checked against,
and ``tests/unit/lsp/test_pygls_adapter.py`` fails when a pygls release renames or reshapes
one of them (and when a module other than this one uses one).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol

from .encoded import EncodedResult

logger = logging.getLogger(__name__)

# What this module relies on, for the test that checks pygls still has each of them.
PRIVATE_METHODS = ("_send_data", "_send_response", "_send_handler_result")
PRIVATE_ATTRIBUTES = ("_request_futures", "_shutdown", "_server", "_converter", "_result_types",
                      "_include_headers")


class AdaptedProtocol(LanguageServerProtocol):
    """pygls's language-server protocol with the private members Keel needs made public."""

    # The fast start's EarlyServer (keel.lsp.early_serve), when it served requests before
    # pygls loaded: a cancel for one of them, or the client's answer to its request, is its.
    early: Any = None

    def handle_message(self, message: Any) -> None:
        early = self.early
        if early is not None:
            method = getattr(message, "method", None)
            if method == "$/cancelRequest":
                task = early.running.get(getattr(getattr(message, "params", None), "id", None))
                if task is not None:
                    task.cancel()
                    return
            elif method is None and early.take_reply(getattr(message, "id", None),
                                                     getattr(message, "error", None)):
                return
        super().handle_message(message)

    # pygls's hooks, redirected to the public methods a subclass overrides.

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        self.respond(msg_id, result, error)

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        self._request_futures.pop(msg_id, None)
        self.answer_handler(future, msg_id)

    # The public face.

    def respond(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """Every reply to a request passes here (pygls's own and Keel's); this one sends it."""
        if error is None and isinstance(result, EncodedResult):
            self._result_types.pop(msg_id, None)  # as pygls's own reply does
            self.send_encoded(msg_id, result)
            return
        JsonRPCProtocol._send_response(self, msg_id, result, error)

    def send_encoded(self, msg_id: Any, result: EncodedResult) -> None:
        """The reply to ``msg_id`` around a result encoded beforehand, framed as pygls frames.

        Only the id is encoded here: the loop copies the bytes, it never walks the answer.
        """
        if self.writer is None:
            logger.error("Unable to send data, no available transport!")
            return
        body = b'{"id": %s, "jsonrpc": "2.0", "result": %s}' % (json.dumps(msg_id).encode(),
                                                                   result.json)
        if self._include_headers:
            header = (f"Content-Length: {len(body)}\r\n"
                      f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n")
            body = header.encode("ascii") + body
        written = self.writer.write(body)
        if inspect.isawaitable(written):  # an async writer, as pygls allows
            asyncio.ensure_future(written)

    def answer_handler(self, future: Future[Any], msg_id: Any) -> None:
        """A request's handler finished (result, error or cancelled): answer it, as pygls does."""
        JsonRPCProtocol._send_handler_result(self, future, msg_id=msg_id)

    def send_raw(self, message: dict[str, Any]) -> None:
        """Write one JSON-RPC message as it is (an error pygls would not build, a parse error)."""
        self._send_data(message)

    def structure(self, value: Any, kind: type[Any]) -> Any:
        """``value`` (wire shape) as the lsprotocol type ``kind``, by the server's converter."""
        return self._converter.structure(value, kind)

    @property
    def shutting_down(self) -> bool:
        """``shutdown`` was answered: only ``exit`` is left."""
        return bool(self._shutdown)

    @property
    def owner(self) -> Any:
        """The server this protocol belongs to."""
        return self._server

    def pending_requests(self) -> Iterable[Future[Any]]:
        """The futures of the requests still being handled."""
        return list(self._request_futures.values())
