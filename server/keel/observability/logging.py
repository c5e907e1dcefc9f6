"""Logging: JSON lines to stderr and to a size-rotated file; never to stdout.

``configure_logging`` must run before anything logs (structlog's default
logger writes to stdout, which is the JSON-RPC channel).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import structlog

from .redaction import REDACTOR

_configured = False


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (a CLI runner or a test may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("keel", appauthor=False))


def configure_logging(level: str = "info", log_dir: Path | None = None, to_file: bool = True) -> Path | None:
    """Idempotent; returns the log file path (None when file logging is off or impossible)."""
    global _configured
    numeric = getattr(logging, level.upper(), logging.INFO)
    root = logging.getLogger()
    log_file: Path | None = None
    if not _configured:
        root.handlers.clear()
        formatter = structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(),
            foreign_pre_chain=_shared_processors(),
        )
        stderr = CurrentStderrHandler()
        stderr.setFormatter(formatter)
        root.addHandler(stderr)
        if to_file:
            log_file = _add_file_handler(root, formatter, log_dir or default_log_dir())
        structlog.configure(
            processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        # pygls logs every message body at INFO: bodies may hold code and are noisy.
        for name in ("pygls", "lsprotocol", "httpx", "httpcore", "anthropic", "openai", "asyncio"):
            logging.getLogger(name).setLevel(logging.WARNING)
        _configured = True
    root.setLevel(numeric)
    return log_file


def set_level(level: str) -> None:
    logging.getLogger().setLevel(getattr(logging, level.upper(), logging.INFO))


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        REDACTOR,
    ]


def _add_file_handler(root: logging.Logger, formatter: logging.Formatter, log_dir: Path) -> Path | None:
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "keel.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 1024 * 1024, backupCount=3,
                                                       encoding="utf-8")
    except OSError as exc:
        # An unwritable log dir must not stop the server; stderr still gets everything.
        logging.getLogger(__name__).warning("log file disabled: %s", exc.strerror)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    return path


def bind_request(request_id: str | int | None, method: str) -> None:
    structlog.contextvars.bind_contextvars(request_id=request_id, method=method)


def bind_run(run_id: str) -> None:
    structlog.contextvars.bind_contextvars(run_id=run_id)
