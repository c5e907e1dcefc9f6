"""Serve held keel/* requests once the app exists, before pygls and lsprotocol have loaded.

The app is ready ~300 ms after spawn; the server module takes ~350 ms more
(``lsprotocol.types`` is most of it). A file the editor restored is opened and
analysed in the first second, so the fast start (``early.py``) hands the
messages it holds to an ``EarlyServer`` as soon as the app exists. It serves them
in arrival order, through the same code the loaded server uses (``dispatch``,
the lifecycle in ``early_lifecycle.py``), with deadlines counted from receipt
(``RECEIVED_AT``), and answers exactly as the loaded server would: the result or
the same error object (``errors.error_object``).

It serves only what it can serve exactly: ``initialized`` (the app's side),
``didOpen``/``didClose`` and whole-text ``didChange`` (kept in ``EarlyDocuments``
and also handed to pygls, whose workspace must have them too), the keel/*
requests of the method table, the client's answers to its own
``window/workDoneProgress/create`` requests, and ``$/cancelRequest`` for a
request it is running. The first message of any other kind (an unknown method,
bad framing, an incremental edit, ``shutdown``...) is a barrier: it and
everything after it stay held for the loaded server, so the order of effects
and every answer are the loaded server's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any, Literal

import structlog

from keel.app.ports import DocumentText
from keel.app.state import KeelApp
from keel.errors import InternalError
from keel.observability.paths import PathScrubber
from keel.protocol.methods import REQUESTS
from keel.runtime.threads import in_thread

from .dispatch import DispatchError, dispatch
from .early_deadlines import peek
from .early_lifecycle import (
    apply_initialize,
    import_for_initialized,
    start_after_initialized,
    workspace_folders_of,
)
from .early_serve_gate import is_int
from .encoded import EncodedResult
from .errors import cancelled_object, error_object
from .framing import RECEIVED_AT, Frame
from .method_names import (
    ANALYZE,
    CANCEL_REQUEST,
    ESTIMATE_COST,
    GENERATE_FIX,
    INITIALIZED,
    LIST_WORKFLOWS,
)

log = structlog.get_logger(__name__)
Outcome = Literal["served", "applied", "held"]
SERVED_METHODS = {spec.name: spec for spec in REQUESTS}
# Requests whose answer nothing in the app's side of `initialized` changes (storage, health
# components, telemetry, reliability): served while that side is still being applied.
# Any other waits for it, as it would have in the loaded server.
INDEPENDENT_OF_INITIALIZED = frozenset({ANALYZE, GENERATE_FIX, ESTIMATE_COST, LIST_WORKFLOWS})
DOCUMENT_NOTIFICATIONS = ("textDocument/didOpen", "textDocument/didChange", "textDocument/didClose")
CREATE_PROGRESS = "window/workDoneProgress/create"
CREATE_TIMEOUT_S = 1.0  # as LspNotifier.create
YIELD_POLL_S, YIELD_MAX_S = 0.02, 1.0  # as the warm-up's yield (app/warmup.py)
_LEVELS = {"error": 1, "warning": 2, "info": 3}  # lsprotocol's MessageType


class EarlyDocuments:
    """Open documents as the client sent them, until pygls's workspace takes over."""

    def __init__(self) -> None:
        self._open: dict[str, DocumentText] = {}

    def get(self, uri: str) -> DocumentText | None:
        return self._open.get(uri)

    def apply(self, method: str, params: Any) -> bool:
        """Apply one document notification; False when it is not one this store applies exactly."""
        document = params.get("textDocument") if isinstance(params, dict) else None
        uri = document.get("uri") if isinstance(document, dict) else None
        if not isinstance(uri, str):
            return False
        assert isinstance(document, dict)
        if method == "textDocument/didOpen":
            text, version = document.get("text"), document.get("version")
            if not (isinstance(text, str) and is_int(version) and isinstance(document.get("languageId"), str)):
                return False
            self._open[uri] = DocumentText(uri=uri, text=text, version=version)
            return True
        if method == "textDocument/didClose":
            return self._open.pop(uri, None) is not None
        changes = params.get("contentChanges")
        version = document.get("version")
        if (uri not in self._open or not is_int(version) or not isinstance(changes, list) or not changes
                or not all(isinstance(c, dict) and set(c) == {"text"} and isinstance(c["text"], str)
                           for c in changes)):
            return False  # an incremental edit (UTF-16 ranges) is pygls's to apply
        self._open[uri] = DocumentText(uri=uri, text=changes[-1]["text"], version=version)
        return True


class EarlyNotifier:
    """The app's notifier before pygls: the same messages ``LspNotifier`` sends, written raw."""

    def __init__(self, server: EarlyServer) -> None:
        self._server = server

    def _scrubber(self) -> PathScrubber:
        return PathScrubber(self._server.app.workspace_folders)

    def notify(self, method: str, payload: dict) -> None:
        self._server.send({"jsonrpc": "2.0", "method": method, "params": self._scrubber().value(payload)})

    def show_message(self, level: str, text: str) -> None:
        self.notify_raw("window/showMessage", {"type": _LEVELS.get(level, 3), "message": self._scrubber().text(text)})

    def publish_diagnostics(self, uri: str, version: int | None, diagnostics: list[dict]) -> None:
        params = {"uri": uri, "diagnostics": diagnostics} | ({} if version is None else {"version": version})
        self.notify_raw("textDocument/publishDiagnostics", params)

    def notify_raw(self, method: str, params: dict[str, Any]) -> None:
        self._server.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def create(self, token: str | int) -> bool:
        window = self._server.client_capabilities.get("window")
        if not (isinstance(window, dict) and window.get("workDoneProgress")):
            return False
        return await self._server.request_client(CREATE_PROGRESS, {"token": token})

    def _progress(self, token: Any, value: dict[str, Any]) -> None:
        self.notify_raw("$/progress", {"token": token, "value": {k: v for k, v in value.items() if v is not None}})

    def begin(self, token, title: str, message: str | None, cancellable: bool) -> None:
        self._progress(token, {"kind": "begin", "title": title, "cancellable": cancellable, "message": message})

    def report(self, token, message: str | None, percentage: int | None) -> None:
        self._progress(token, {"kind": "report", "message": message, "percentage": percentage})

    def end(self, token, message: str | None) -> None:
        self._progress(token, {"kind": "end", "message": message})


class EarlyServer:
    """Serves the held messages in order up to the first one it cannot serve exactly."""

    def __init__(self, app: KeelApp, send: Callable[[dict[str, Any]], None],
                 send_encoded: Callable[[Any, bytes], None], initialize_params: dict[str, Any]) -> None:
        self.app = app
        self.send = send
        self._send_encoded = send_encoded
        self.client_capabilities: dict[str, Any] = initialize_params["capabilities"]
        self.documents = EarlyDocuments()
        self.running: dict[Any, asyncio.Task[Any]] = {}  # keel/* requests in flight, by id
        self._methods: dict[Any, str] = {}  # and their methods
        self.background: set[asyncio.Task[Any]] = set()  # handed to the loaded server
        self.replies: dict[Any, asyncio.Future[Any]] = {}  # our requests to the client, by id
        self.initialized = False  # the app's side of `initialized` is applied here
        self._initializing: asyncio.Task[None] | None = None
        self.stopped = False  # a barrier was met: the loaded server serves the rest
        self.on_change: Callable[[], None] = lambda: None  # a request ended (early.py's load gate)
        app.notifier = EarlyNotifier(self)
        app.documents = self.documents
        apply_initialize(app, workspace_folders_of(initialize_params), initialize_params.get("initializationOptions"))

    def spawn(self, coro) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    def offer(self, item: Any) -> Outcome:
        """Serve ``item`` (the next held message) if it can be served exactly here."""
        if self.stopped:
            return "held"
        outcome = self._offer(item)
        if outcome == "held":
            self.stopped = True
        return outcome

    def _offer(self, item: Any) -> Outcome:
        if not isinstance(item, Frame):
            return "held"  # a broken frame, EOF: the loaded server's answer
        reply = self._client_reply(item)
        if reply is not None:
            return reply
        message = peek(item)
        if message is None:
            return "held"
        method, msg_id, params = message.method, message.msg_id, message.params
        if msg_id is None and method == INITIALIZED and not self.initialized:
            self.initialized = True
            self._initializing = self.spawn(self._apply_initialized())
            return "applied"  # held on too: pygls runs its own side (file watching)
        if msg_id is None and method in DOCUMENT_NOTIFICATIONS:
            return "applied" if self.documents.apply(method, params) else "held"
        if msg_id is None and method == CANCEL_REQUEST:
            target = params.get("id") if isinstance(params, dict) else None
            task = self.running.get(target)
            if task is None:
                return "held"
            task.cancel()
            return "served"
        spec = SERVED_METHODS.get(method)
        if msg_id is None or spec is None:
            return "held"
        token = RECEIVED_AT.set(message.received_at)  # copied into the task: deadlines from receipt
        try:
            task = asyncio.ensure_future(self._serve(method, params, msg_id))
        finally:
            RECEIVED_AT.reset(token)
        self.running[msg_id] = task
        self._methods[msg_id] = method
        task.add_done_callback(lambda done: self._answer(msg_id, done))
        return "served"

    async def _apply_initialized(self) -> None:
        try:
            # Its imports (~140 ms) wait for the requests that do not need them: on a thread
            # beside the first analysis's dispatch they took the GIL from it.
            waited = 0.0
            while waited < YIELD_MAX_S and any(m in INDEPENDENT_OF_INITIALIZED for m in self._methods.values()):
                await asyncio.sleep(YIELD_POLL_S)
                waited += YIELD_POLL_S
            await in_thread(import_for_initialized)
            start_after_initialized(self.app, self.spawn)
        except Exception:  # as pygls logs a failing `initialized` handler and serves on
            log.exception("initialized could not be applied")

    async def _serve(self, method: str, params: Any, msg_id: Any) -> Any:
        initializing = self._initializing
        if initializing is not None and method not in INDEPENDENT_OF_INITIALIZED:
            await asyncio.shield(initializing)  # counted in its deadline, from receipt
        return await dispatch(self.app, method, params, msg_id, encoded=True)

    def _answer(self, msg_id: Any, task: asyncio.Task[Any]) -> None:
        """As ``KeelProtocol.answer_handler`` answers a handler's outcome."""
        if self.running.get(msg_id) is task:
            del self.running[msg_id]
            self._methods.pop(msg_id, None)
        self.on_change()
        if task.cancelled():
            self.send({"jsonrpc": "2.0", "id": msg_id, "error": cancelled_object(msg_id)})
            return
        exc = task.exception()
        if exc is None:
            result = task.result()
            if isinstance(result, EncodedResult):
                self._send_encoded(msg_id, result.json)
            else:
                self.send({"jsonrpc": "2.0", "id": msg_id, "result": result})
        elif isinstance(exc, DispatchError):
            self.send({"jsonrpc": "2.0", "id": msg_id, "error": error_object(exc.error, exc.request_id)})
        else:
            log.error("unexpected handler failure", request_id=msg_id, error=repr(exc))
            internal = InternalError("Keel hit an unexpected error; details are in the Keel log.")
            self.send({"jsonrpc": "2.0", "id": msg_id, "error": error_object(internal, msg_id)})

    async def request_client(self, method: str, params: dict[str, Any]) -> bool:
        """Send a request to the client; whether it answered with a result in time."""
        msg_id = str(uuid.uuid4())
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.replies[msg_id] = future
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout=CREATE_TIMEOUT_S)
        except (TimeoutError, RuntimeError):  # no answer in time, or an error answer: progress is optional
            log.warning("client did not create progress token")
            return False
        finally:
            self.replies.pop(msg_id, None)
        return True

    def take_reply(self, msg_id: Any, error: Any) -> bool:
        """The client answered one of our requests (here or after the loaded server took over)."""
        future = self.replies.pop(msg_id, None) if isinstance(msg_id, str) else None
        if future is None:
            return False
        if not future.done():
            if error is not None:
                future.set_exception(RuntimeError(f"client error: {error}"))  # read by request_client
            else:
                future.set_result(None)
        return True

    def _client_reply(self, item: Frame) -> Outcome | None:
        if not self.replies or b'"method"' in item.body:
            return None
        try:
            message = json.loads(item.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        if isinstance(message, dict) and "method" not in message and self.take_reply(
                message.get("id"), message.get("error")):
            return "served"
        return None
