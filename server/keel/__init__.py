"""Keel: a long-running JSON-RPC backend for AI-assisted code workflows."""

import sys as _sys

import structlog as _structlog

__version__ = "0.1.0"

# stdout is the JSON-RPC channel (and the CLI's --json output): until
# keel.observability.logging.configure_logging runs, structlog's default
# would print there. Send anything logged that early to stderr instead.
if not _structlog.is_configured():
    _structlog.configure(logger_factory=_structlog.PrintLoggerFactory(file=_sys.stderr))
