"""Server wiring: the pygls server, thin handlers, lifecycle and the process loop."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from keel import __version__
from keel.app.ports import DocumentText
from keel.app.state import KeelApp
from keel.protocol.methods import AUTHENTICATE, REQUESTS

from .advisor_features import register as register_advisor_features
from .dispatch import dispatch
from .early_lifecycle import apply_initialize, start_after_initialized, workspace_folders_of
from .framing import start_reading
from .messages import keel_converter
from .notifier import LspNotifier
from .protocol import KeelProtocol
from .session import Session
from .tcp_auth import AUTH_TIMEOUT_S, authenticate
from .tcp_token import ServerToken
from .transport import StreamWriter, deliver_item, read_messages
from .watchdog import watch_parent

log = structlog.get_logger(__name__)
EXIT_BUDGET_S = 0.5


class KeelServer(LanguageServer):
    protocol: KeelProtocol  # built from protocol_cls below

    def __init__(self, app: KeelApp) -> None:
        super().__init__("keel", __version__, protocol_cls=KeelProtocol,
                         converter_factory=keel_converter)
        self.app = app
        self.stop_event: asyncio.Event | None = None
        self.background: set[asyncio.Task[Any]] = set()

    def request_stop(self) -> None:
        if self.stop_event is not None:
            self.stop_event.set()

    def spawn(self, coro) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task


class WorkspaceDocuments:
    """Open documents as the client has them (unsaved text included)."""

    def __init__(self, server: KeelServer) -> None:
        self._server = server

    def get(self, uri: str) -> DocumentText | None:
        try:
            workspace = self._server.workspace
        except RuntimeError:
            return None
        doc = workspace.text_documents.get(uri)
        if doc is None:
            return None
        return DocumentText(uri=uri, text=doc.source, version=doc.version)


def _register_requests(server: KeelServer) -> None:
    for spec in REQUESTS:
        def make(method: str):
            async def handler(ls: KeelServer, params: Any) -> Any:
                return await dispatch(ls.app, method, params, ls.protocol.msg_id, encoded=True)
            return handler
        server.feature(spec.name)(make(spec.name))


def _workspace_folders(params: types.InitializeParams) -> list[Path]:
    return workspace_folders_of({"workspaceFolders": [{"uri": f.uri} for f in params.workspace_folders or []],
                                 "rootUri": params.root_uri, "rootPath": params.root_path})


async def _watch_workspace_files(ls: KeelServer) -> None:
    """Ask the client to send workspace/didChangeWatchedFiles, which keeps the estimate cache true."""
    caps = ls.client_capabilities
    watched = caps.workspace.did_change_watched_files if caps and caps.workspace else None
    if not (watched and watched.dynamic_registration):
        return  # the estimate cache still revalidates every file by its stat
    registration = types.Registration(
        id="keel-watch-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/*")]))
    try:
        # Shielded: a timed-out server→client request in pygls 2.1 later pops an error.
        await asyncio.wait_for(asyncio.shield(ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration]))), timeout=5)
    except Exception as exc:  # the client refused or did not answer: revalidation still works
        log.info("file watching not registered", reason=type(exc).__name__)
        return
    from keel.app.cost_ops import watcher_registered

    watcher_registered(ls.app)  # from now on a warm estimate trusts the events


def build_server(app: KeelApp, early: Any = None) -> KeelServer:
    """The pygls server for ``app``; ``early``: the fast start's ``EarlyServer``, which already
    applied what it served (``early_serve.py``)."""
    server = KeelServer(app)
    app.notifier = LspNotifier(server)
    app.documents = WorkspaceDocuments(server)
    _register_requests(server)

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: KeelServer, params: types.InitializeParams) -> None:
        if early is None:  # else the fast start applied the same params to the app
            apply_initialize(app, _workspace_folders(params), params.initialization_options)
        if params.process_id:
            ls.spawn(watch_parent(params.process_id, ls.request_stop))

    @server.feature(AUTHENTICATE)
    def on_authenticate(ls: KeelServer, params: Any) -> None:
        """Checked before anything else on TCP (tcp_auth); on stdio the pipe is the editor's."""

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: KeelServer, params: types.InitializedParams) -> None:
        if early is None or not early.initialized:  # else the fast start did the app's side
            start_after_initialized(app, ls.spawn)
        ls.spawn(_watch_workspace_files(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_configuration(ls: KeelServer, params: types.DidChangeConfigurationParams) -> None:
        from keel.app.history_ops import start_storage

        app.apply_settings(params.settings, "settings")
        start_storage(app)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_watched_files(ls: KeelServer, params: types.DidChangeWatchedFilesParams) -> None:
        from keel.app.cost_ops import invalidate

        paths = [to_fs_path(change.uri) for change in params.changes]
        invalidate(app, [p for p in paths if p])

    register_advisor_features(server)
    return server


async def _serve(server: KeelServer, session: Session, client_pid: int | None = None) -> None:
    """Serve what the session holds (read before the server was built; None is EOF), then the rest."""
    server.stop_event = asyncio.Event()
    server.protocol.take_over(session.answered_initialize, session.answered_health)
    server.protocol.early = session.early
    if session.early is not None:
        server.background.update(session.early.background)
        session.early.background = server.background  # what it starts from now on is cancelled at exit too
    server.protocol.set_writer(StreamWriter(session.transport))
    if client_pid:
        server.spawn(watch_parent(client_pid, server.request_stop))
    for item in session.held:
        if item is None:
            session.frames.put_nowait(None)  # EOF came while loading: stop after what came before it
            break
        deliver_item(server.protocol, item)
    session.held = []
    loop_task = asyncio.ensure_future(read_messages(session.frames, server.protocol, server.stop_event))
    stop_task = asyncio.ensure_future(server.stop_event.wait())
    await asyncio.wait({loop_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    # Requests still running are cancelled too: that is what kills their worker processes.
    early_running = list(session.early.running.values()) if session.early is not None else []
    for task in (loop_task, stop_task, *server.background, *early_running):
        task.cancel()
    for request in server.protocol.pending_requests():
        request.cancel()


async def _shutdown_app(server: KeelServer) -> None:
    """Release everything within ``EXIT_BUDGET_S``: the editor kills the tree 2 s after ``stop()``."""
    await server.app.aclose(EXIT_BUDGET_S)


async def serve_session(app: KeelApp, session: Session, client_pid: int | None = None) -> int:
    """Serve a stdio session, after its fast start (``keel.lsp.early``) or from its first byte."""
    server = build_server(app, session.early)
    await _serve(server, session, client_pid)
    await _shutdown_app(server)
    session.transport.close()
    code = server.protocol.exit_code
    return 0 if code is None else code


def serve_stdio(app: KeelApp, client_pid: int | None = None) -> int:
    """The same session without the fast start: pygls and the app load before the first byte is read."""

    async def main() -> int:
        return await serve_session(app, await Session.stdio(), client_pid)

    return asyncio.run(main())


def serve_tcp(app: KeelApp, port: int, token: ServerToken, host: str = "127.0.0.1",
              client_pid: int | None = None, on_done: Callable[[int], None] | None = None,
              auth_timeout_s: float = AUTH_TIMEOUT_S) -> int:
    """One authenticated client per server (``tcp_auth``); any other connection is closed unread."""
    server = build_server(app)

    async def main() -> int:
        done = asyncio.Event()
        connected = False

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connected
            if connected or done.is_set():
                log.warning("refused a second TCP connection; one client is already connected")
                writer.close()
                return
            # Until it authenticates, a connection is not "the client": a web page or another
            # local user must not take the one place, so the server keeps listening.
            refusal = await authenticate(reader, token.value, auth_timeout_s)
            if refusal is None and (connected or done.is_set()):
                refusal = "another client authenticated first"
            if refusal is not None:
                log.warning("closed an unauthenticated TCP connection", reason=refusal)
                writer.close()
                return
            connected = True
            frames, reading = start_reading(reader, strict=True)
            await _serve(server, Session(frames, writer.transport, reading), client_pid)
            writer.close()
            done.set()

        tcp = await asyncio.start_server(on_connect, host, port)
        bound = tcp.sockets[0].getsockname()[1]
        log.info("serving on loopback", port=bound)
        where = f", token in {token.file}" if token.file else ""
        sys.stderr.write(f"keel: listening on {host}:{bound}{where}\n")
        try:
            await done.wait()
        finally:
            tcp.close()  # one client per server: stop listening once it has gone
            if token.file is not None:
                token.file.unlink(missing_ok=True)
        await _shutdown_app(server)
        code = server.protocol.exit_code
        return finish(0 if code is None else code, on_done)

    return asyncio.run(main())


def finish(code: int, on_done: Callable[[int], None] | None) -> int:
    if on_done is not None:
        on_done(code)  # the CLI ends the process here, not waiting for stuck threads
    return code
