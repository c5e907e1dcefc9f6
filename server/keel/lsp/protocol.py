"""pygls protocol adjusted to the Keel contract.

- keel/* params stay plain dicts (validated by pydantic in dispatch);
- errors are answered with ``ErrorData``, never a traceback;
- a cancelled request answers -32800 with ``ErrorData``;
- requests after ``shutdown`` get -32600 instead of silence;
- a request before ``initialize`` gets -32002 (notifications are dropped, as
  LSP says); a second ``initialize`` gets -32600 and changes nothing (the
  workspace is rooted once);
- ``exit`` stops the transport loop (the process exits after cleanup);
- ``initialize`` answers ``capabilities.CAPABILITIES`` (with ``experimental.keel``), as the
  fast start does.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.protocol.language_server import lsp_method

from keel.errors import InternalError

from .capabilities import CAPABILITIES
from .errors import MAX_MESSAGE_CHARS, DispatchError, cancelled_error, cap, response_error
from .messages import KeelNotification, KeelRequest
from .method_names import HEALTH_CHANGED
from .pygls_adapter import AdaptedProtocol

logger = logging.getLogger(__name__)

INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002


class KeelProtocol(AdaptedProtocol):
    exit_code: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False
        self._answered_initialize: Any = None
        self._answered_health: set[Any] = set()
        self._health_pushed = False

    def take_over(self, answered_initialize: Any, answered_health: set[Any]) -> None:
        """Requests the session answered before the server loaded (``keel.lsp.session``).

        They are still handled here, so ``initialize`` sets up the workspace and settings as
        it would have; but their replies were given. The ``initialize`` reply is not sent
        again; the first real report for a ``keel/health`` answered "starting" goes out as a
        ``keel/healthChanged`` notification (the level did change for the client), and any
        other reply to those is dropped.
        """
        self._answered_initialize = answered_initialize
        self._answered_health = set(answered_health)

    def respond(self, msg_id, result=None, error=None):
        if error is not None and isinstance(getattr(error, "message", None), str):
            error.message = cap(error.message, MAX_MESSAGE_CHARS)  # pygls' own errors quote the method
        if msg_id is not None and msg_id == self._answered_initialize:
            self._answered_initialize = None
            if error is not None:
                logger.error("initialize failed after the fast start answered it: %s", error.message)
            return
        if msg_id is not None and msg_id in self._answered_health:
            self._answered_health.discard(msg_id)
            if error is None and result is not None and not self._health_pushed:
                self._health_pushed = True
                self.send_raw({"jsonrpc": "2.0", "method": HEALTH_CHANGED, "params": result})
            return
        super().respond(msg_id, result, error)

    def send_raw(self, message: dict[str, Any]) -> None:
        msg_id = message.get("id")
        if "method" not in message and msg_id is not None and self._answered_early(msg_id):
            return  # an error the transport found in a request the session already answered
        super().send_raw(message)

    def _answered_early(self, msg_id: Any) -> bool:
        if msg_id == self._answered_initialize:
            self._answered_initialize = None
            return True
        if msg_id in self._answered_health:
            self._answered_health.discard(msg_id)
            return True
        return False

    @functools.lru_cache  # noqa: B019 as pygls's own: one protocol object lives as long as the server
    def get_message_type(self, method: str) -> type[Any] | None:
        if method.startswith("keel/"):
            return None
        return super().get_message_type(method)

    def keel_message(self, data: dict[str, Any]):
        """Build a keel/* message without pygls' namedtuple conversion."""
        if "id" in data:
            return KeelRequest(id=data["id"], method=data["method"], params=data.get("params"))
        return KeelNotification(method=data["method"], params=data.get("params"))

    def handle_message(self, message):
        method = getattr(message, "method", "")
        is_request = hasattr(message, "id") and bool(method)
        refusal = self._refusal(method)
        if refusal is not None:
            if is_request:
                self.respond(message.id, error=types.ResponseError(code=refusal[0], message=refusal[1]))
            return
        if method == types.INITIALIZE:
            self.initialize_seen = True
        super().handle_message(message)

    def _refusal(self, method: str) -> tuple[int, str] | None:
        if not method or method == types.EXIT:
            return None
        if self.shutting_down:
            return INVALID_REQUEST, "The server is shutting down; no more requests."
        if method == types.INITIALIZE and self.initialize_seen:
            return INVALID_REQUEST, "The server is already initialized; initialize is accepted once."
        if method != types.INITIALIZE and not self.initialize_seen:
            return SERVER_NOT_INITIALIZED, "The server is not initialized; send initialize first."
        return None

    def answer_handler(self, future: Future, msg_id):
        if future.cancelled():
            self.respond(msg_id, error=cancelled_error(msg_id))
            return
        exc = future.exception()
        if exc is None:
            self.respond(msg_id, result=future.result())
        elif isinstance(exc, DispatchError):
            self.respond(msg_id, error=response_error(exc.error, exc.request_id))
        else:
            logger.error("unexpected handler failure for %s: %r", msg_id, exc)
            internal = InternalError("Keel hit an unexpected error; details are in the Keel log.")
            self.respond(msg_id, error=response_error(internal, msg_id))

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        # Findings carry UTF-16 columns (the LSP default): never negotiate another encoding.
        if params.capabilities.general is not None:
            params.capabilities.general.position_encodings = None
        result = yield from super().lsp_initialize(params)
        # The fast start's answer, the same dict: what pygls built from the features is dropped.
        self.server_capabilities = self.structure(CAPABILITIES, types.ServerCapabilities)
        result.capabilities = self.server_capabilities
        return result

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args):
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self.exit_code = 0 if self.shutting_down else 1
        stop = getattr(self.owner, "request_stop", None)
        if stop is not None:
            stop()

