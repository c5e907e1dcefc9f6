"""Keel: a long-running JSON-RPC backend for AI-assisted code workflows."""

import sys as _sys


def _quiet_interrupt(kind, value, traceback, _default=_sys.excepthook):
    # Ctrl-C while the `keel` command is still importing: one line, not a traceback.
    if issubclass(kind, KeyboardInterrupt):
        _sys.stderr.write("keel: interrupted.\n")
    else:
        _default(kind, value, traceback)


if _sys.excepthook is _sys.__excepthook__:
    _sys.excepthook = _quiet_interrupt

import structlog as _structlog  # noqa: E402  (after the hook: importing it takes a while)

__version__ = "0.1.0"

# stdout is the JSON-RPC channel (and the CLI's --json output): until
# keel.observability.logging.configure_logging runs, structlog's default
# would print there. Send anything logged that early to stderr instead.
if not _structlog.is_configured():
    _structlog.configure(logger_factory=_structlog.PrintLoggerFactory(file=_sys.stderr))
