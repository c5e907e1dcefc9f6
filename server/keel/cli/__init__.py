"""The `keel` command line.

``keel serve`` skips typer and rich entirely: the editor spawns it and waits
for ``initialize``, so every import on that path counts.

``main`` is the one boundary between Keel and a person at a terminal: whatever
escapes a command becomes one line on stderr and an exit code, never a Python
traceback (the traceback goes to the log file). Its first act installs the
process-wide hooks (``keel.entry_hooks``): a Ctrl-C while the command is still
loading is one line too, and structlog writes to stderr until logging is configured.
"""

from __future__ import annotations

import os
import sys

from keel.entry_hooks import install_entry_hooks
from keel.errors import EXIT_CODES


def main(argv: list[str] | None = None) -> None:
    install_entry_hooks()
    isolate_children()
    no_pydantic_plugins()
    raise SystemExit(run_cli(sys.argv[1:] if argv is None else list(argv)))


def isolate_children() -> None:
    """Every Python this process starts leaves its working directory off ``sys.path``.

    multiprocessing starts the fork server (and, on Windows and macOS, each
    worker) as ``python -c ...`` with this process's interpreter flags: without
    ``-I`` or ``-P`` that put ``''``, the working directory (often the open
    repository), first on the child's ``sys.path``, and the fork server imported
    the repository's ``libcst.py`` while preloading the analysis engine.
    ``PYTHONSAFEPATH`` gives every child ``-P``; under ``-I`` (how the editor
    starts Keel) the children inherit ``-I`` itself and ignore the variable.
    """
    os.environ["PYTHONSAFEPATH"] = "1"


def no_pydantic_plugins() -> None:
    """pydantic loads a plugin from every ``pydantic`` entry point of every installed
    distribution when it builds its first validator: code from whatever shares Keel's
    environment would run inside the server and its workers, and the scan of every
    distribution's metadata costs ~10 ms on the way to the first answer (more in a big
    environment). Keel uses no plugin, so this process and every child it starts (the
    fork server and the workers inherit the variable) load none, whatever the editor's
    environment says."""
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"


def run_cli(args: list[str]) -> int:
    """Run one ``keel`` command line; returns its exit code."""
    try:
        if args[:1] == ["serve"]:
            from .serve import serve_main

            return serve_main(args[1:], exit_when_done=True)  # ends the process: no stuck thread keeps it
        if args[:1] == ["run"]:
            from .interrupt import install_early

            install_early()  # from now on Ctrl-C cancels the run, even before it exists
        from .app import app

        app(args=args, prog_name="keel")
        return 0
    except SystemExit as exc:
        return _code_of(exc)
    except KeyboardInterrupt:
        print("keel: interrupted.", file=sys.stderr)
        return EXIT_CODES["cancelled"]
    except BrokenPipeError:
        # The reader of our output left (`keel history | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback on a terminal
        return _unexpected(exc)


def _code_of(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _unexpected(exc: Exception) -> int:
    import logging

    from .common import log_file

    # The traceback goes to the log file only; stderr gets one sentence.
    record = logging.LogRecord("keel.cli", logging.ERROR, __file__, 0, "unexpected error", None,
                               (type(exc), exc, exc.__traceback__))
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
    path = log_file()
    where = f" The details are in {path}." if path else ""
    print(f"keel: unexpected error: {type(exc).__name__}: {str(exc).rstrip('.')}.{where} "
          "This is a bug in Keel; please report it.", file=sys.stderr)
    return EXIT_CODES["internal"]
