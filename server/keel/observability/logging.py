"""Logging: JSON lines to a size-rotated file, one readable line per problem on stderr; never stdout.

stderr is what an editor shows in its Output channel, so it gets one
human-readable line per warning or error (no JSON, no traceback: the
exception's last line only); the rotating file keeps every info event as JSON
with the traceback. A level asked for (``--log-level``, the ``logLevel``
setting) other than the default ``info`` applies to stderr too: ``debug``
shows everything there, ``error`` only errors.

``configure_logging`` must run before anything logs (structlog's default
logger writes to stdout, which is the JSON-RPC channel). Calling it again
rebuilds the handlers (a CLI command or a test may ask for other ones).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import TextIOWrapper
from pathlib import Path
from typing import IO, Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from keel.private_files import open_private, private_dir

from .redaction import REDACTOR

_state: dict[str, logging.Handler | None] = {"stderr": None, "file": None}
MAX_VALUE_CHARS = 200


class CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is now (a CLI runner or a test may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:  # noqa: D102
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("keel", appauthor=False))


def configure_logging(level: str | None = "info", log_dir: Path | None = None, to_file: bool = True,
                      stderr_level: str | None = None) -> Path | None:
    """Returns the log file path (None when file logging is off or impossible).

    ``level`` is the level asked for (None: the default); ``stderr_level``
    overrides what stderr shows.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler is _state["file"]:
            handler.close()
    stderr = CurrentStderrHandler()
    stderr.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, human_line],
        foreign_pre_chain=_shared_processors(),
    ))
    root.addHandler(stderr)
    _state["stderr"], _state["file"] = stderr, None
    _auto_level.pop("stderr", None)
    log_file: Path | None = None
    if to_file:
        json_lines = structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info, REDACTOR, structlog.processors.JSONRenderer()],
            foreign_pre_chain=_shared_processors(),
        )
        log_file = _add_file_handler(root, json_lines, log_dir or default_log_dir())
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # pygls logs every message body at INFO: bodies may hold code and are noisy.
    for name in ("pygls", "lsprotocol", "httpx", "httpcore", "anthropic", "openai", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)
    set_level(level, stderr_level)
    return log_file


def _numeric(level: str | None, default: int) -> int:
    return getattr(logging, level.upper(), default) if level else default


def set_level(level: str | None, stderr_level: str | None = None) -> None:
    """Apply the level asked for: the file keeps at least info; stderr shows warnings unless asked.

    A stderr level someone else set on the handler (a CLI's ``-v`` or quiet mode) is left alone.
    """
    asked = _numeric(level, logging.INFO)
    file_level = min(asked, logging.INFO)
    shown = _numeric(stderr_level, logging.WARNING if asked == logging.INFO else asked)
    handler = _state["stderr"]
    if handler is not None:
        if stderr_level is not None or handler.level == _auto_level.get("stderr", handler.level):
            handler.setLevel(shown)
            _auto_level["stderr"] = shown
        else:
            shown = handler.level
    if (file_handler := _state["file"]) is not None:
        file_handler.setLevel(file_level)
    logging.getLogger().setLevel(min(file_level, shown) if shown else file_level)


_auto_level: dict[str, int] = {}


def human_line(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> str:
    """``12:00:01 WARNING keel.lsp.framing: what happened (key=value …) [ErrorType: text]``."""
    when = str(event_dict.pop("timestamp", ""))[11:19]
    level = str(event_dict.pop("level", "info")).upper()
    source = event_dict.pop("logger", "") or "keel"
    event = _one_line(event_dict.pop("event", ""))
    exc_info = event_dict.pop("exc_info", None)
    exception = event_dict.pop("exception", None)
    error = exc_info[1] if isinstance(exc_info, tuple) else sys.exc_info()[1] if exc_info else None
    if error is not None:
        exception = f"{type(error).__name__}: {error}"
    elif exception:
        exception = str(exception).strip().splitlines()[-1]
    fields = " ".join(f"{k}={_one_line(v)}" for k, v in event_dict.items() if not k.startswith("_"))
    line = f"{when} {level} {source}: {event}".lstrip()
    if fields:
        line += f" ({fields})"
    if exception:
        line += f" [{_one_line(exception)}]"
    return REDACTOR.text(line)


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        REDACTOR,
    ]


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file it opens (the first, and each new one after a rollover) is 0600.

    Several Keel processes (two editor windows, the CLI beside the editor) append to one
    ``keel.log``. Each record is written under an exclusive lock on ``keel.log.lock``, and
    under that lock a writer first follows a rotation another process made (its file is no
    longer the one at the path: reopen) before deciding on its own, from the size of the
    file at the path. So one process rotates at a time, and only a full file. (The
    ``concurrent-log-handler`` package does the same, but opens files its own way: this
    one must refuse a symlink planted as keel.log and create every file 0600.)
    """

    def __init__(self, filename: Path, **options: Any) -> None:
        self._lock_file: IO[str] | None = None
        super().__init__(filename, **options)
        # The file is kept empty: only its lock matters. Same privacy rules as the log.
        self._lock_file = open_private(Path(self.baseFilename + ".lock"), "a")

    def _open(self) -> TextIOWrapper:
        # Not the base class's open(): that follows a symlink planted as keel.log.
        return open_private(Path(self.baseFilename), "a")  # type: ignore[return-value]

    def emit(self, record: logging.LogRecord) -> None:
        with _exclusive(self._lock_file):
            self._follow_rotation()
            super().emit(record)

    def _follow_rotation(self) -> None:
        if self.stream is None:
            return
        try:
            held, there = os.fstat(self.stream.fileno()), os.stat(self.baseFilename)
            rotated = (held.st_dev, held.st_ino) != (there.st_dev, there.st_ino)
        except OSError:
            rotated = True  # renamed away and not recreated yet
        if rotated:
            self.stream.close()
            self.stream = None  # the base class reopens on emit

    def close(self) -> None:
        super().close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


@contextmanager
def _exclusive(lock_file: IO[str] | None) -> Iterator[None]:
    """Hold the cross-process log lock (fcntl where there is one; Windows: msvcrt)."""
    if lock_file is None or lock_file.closed:
        yield
        return
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(lock_file.fileno(), msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            msvcrt.locking(lock_file.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def _add_file_handler(root: logging.Logger, formatter: logging.Formatter, log_dir: Path) -> Path | None:
    try:
        private_dir(log_dir)  # logs quote requests and paths: the user's only (keel.private_files)
        path = log_dir / "keel.log"
        handler = PrivateRotatingFileHandler(path, maxBytes=5 * 1024 * 1024, backupCount=3,
                                             encoding="utf-8")
    except OSError as exc:
        # An unwritable log dir must not stop the server; stderr still gets everything.
        logging.getLogger(__name__).warning("log file disabled: %s", exc.strerror)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    _state["file"] = handler
    return path


def bind_request(request_id: str | int | None, method: str) -> None:
    structlog.contextvars.bind_contextvars(request_id=request_id, method=method)


def bind_run(run_id: str) -> None:
    structlog.contextvars.bind_contextvars(run_id=run_id)
