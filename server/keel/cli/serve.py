"""`keel serve`: the JSON-RPC server over stdio, or TCP on loopback.

Accepts what editors append: vscode-languageclient adds ``--stdio`` (stdio is
the default anyway) and may add ``--clientProcessId=N``, a process watched
like ``initialize.processId``: when it dies, the server stops.

When the server is done the process ends at once: every descendant (the
fork server, workers busy or still starting) is killed, logs are flushed, and
``os._exit`` ends the process without waiting for threads. A thread stuck in a
read, or a worker finishing a long analysis, must not keep anything alive:
the editor kills the whole process tree 2 s after ``stop()``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keel serve",
                                     description="Run the Keel server (stdout is the JSON-RPC channel).")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="Serve on stdin/stdout (the default).")
    transport.add_argument("--tcp", action="store_true", help="Listen on TCP (127.0.0.1 only) instead of stdio.")
    parser.add_argument("--port", type=_port, default=None,
                        help="TCP port for --tcp, 0..65535 (0, the default, picks a free one).")
    parser.add_argument("--clientProcessId", "--client-process-id", dest="client_pid", type=int, default=None,
                        metavar="PID", help="Stop when this process exits (as initialize.processId).")
    parser.add_argument("--log-level", default=None, choices=["debug", "info", "warning", "error"],
                        help="Also show this level and above on stderr (default: warnings and errors).")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: use 0..65535 (0 picks a free one)")
    return value


def _stdin_is_usable() -> str | None:
    """Why stdin cannot carry JSON-RPC (a closed descriptor, /dev/null, a terminal), or None."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return "stdin is closed"
    import stat

    if stat.S_ISCHR(mode) and not os.isatty(0):
        return "stdin is a device (such as /dev/null), not a client's pipe"
    return None


def end_process(code: int) -> None:
    """Kill every descendant, flush what was logged, and end now."""
    from keel.lsp.watchdog import descendants

    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        except OSError:
            pass  # already gone
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


def _record_native_crashes() -> None:
    """A crash in native code (a segfault) leaves every thread's Python stack in
    `crash.log` beside `keel.log`, not on the editor's Output channel."""
    import faulthandler

    from keel.private_files import open_private, private_dir

    try:
        import platformdirs  # the same folder as default_log_dir(), without importing logging

        # Owner-only: the stacks it records can quote the user's code.
        folder = private_dir(Path(platformdirs.user_log_dir("keel", appauthor=False)))
        handle = open_private(folder / "crash.log", "a", buffering=1)  # open for the process's life
    except OSError:
        return  # no log folder: crashes go unrecorded rather than onto stderr
    faulthandler.enable(file=handle, all_threads=True)


def serve_main(argv: list[str], exit_when_done: bool = False) -> int:
    from keel.lsp.tcp_token import MIN_TOKEN_CHARS, TOKEN_ENV, take_token

    given_token = take_token()  # first: no process this one starts may inherit it
    parser = _parser()
    args = parser.parse_args(argv)
    if args.port is not None and not args.tcp:
        parser.error("--port needs --tcp (on stdio there is no port)")
    on_done = end_process if exit_when_done else None
    if not args.tcp:
        problem = _stdin_is_usable()
        if problem is not None:
            print(f"keel serve: {problem}; an editor or `keel.rpc_client` starts it with a pipe, "
                  "or use --tcp.", file=sys.stderr)
            return 2
        from keel.app import bootstrap

        # Before anything else loads (~15 ms, the standard library only): the workers' fork
        # server imports and warms the engine on the other core meanwhile, when a core is
        # spare (on a busy machine the pool starts at `initialized`).
        workers_started = bootstrap.start_analysis_workers()
        _record_native_crashes()
        from keel.lsp.early import serve_stdio_fast

        return serve_stdio_fast(args.log_level, args.client_pid, on_done, workers_started)
    _record_native_crashes()
    if given_token is not None and len(given_token) < MIN_TOKEN_CHARS:
        print(f"keel serve: {TOKEN_ENV} is shorter than {MIN_TOKEN_CHARS} characters; "
              "use a random one, e.g. from secrets.token_urlsafe(32).", file=sys.stderr)
        return 2
    from keel.app import bootstrap

    bootstrap.start_analysis_workers()  # the engine warms in the fork server while the server loads
    from keel.observability.logging import configure_logging

    configure_logging(args.log_level)  # before anything logs: structlog's default is stdout
    from keel.lsp.server import serve_tcp
    from keel.lsp.tcp_token import server_token

    try:
        token = server_token(given_token)
    except OSError as exc:
        print(f"keel serve: cannot write the TCP token file ({exc.strerror or exc}); "
              f"set {TOKEN_ENV} instead.", file=sys.stderr)
        return 2
    app_state = bootstrap.create_app()
    return serve_tcp(app_state, args.port or 0, token, client_pid=args.client_pid, on_done=on_done)


def register(app) -> None:
    import typer

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def serve(
        tcp: bool = typer.Option(False, "--tcp", help="Listen on TCP (127.0.0.1 only) instead of stdio."),
        port: int | None = typer.Option(None, "--port", help="TCP port for --tcp, 0..65535 (0 picks a free one)."),
        log_level: str | None = typer.Option(
            None, "--log-level", help="Also show this level and above on stderr: debug, info, warning or error."),
        extra: list[str] | None = typer.Argument(None, hidden=True),  # --stdio, --clientProcessId=N
    ) -> None:
        """Run the Keel server (stdio by default; stdout is the JSON-RPC channel)."""
        argv = (["--tcp"] if tcp else []) + (["--port", str(port)] if port is not None else [])
        argv += ["--log-level", log_level] if log_level else []
        raise typer.Exit(serve_main(argv + list(extra or []), exit_when_done=True))
