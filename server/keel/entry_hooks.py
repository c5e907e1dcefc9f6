"""The process-wide hooks a Keel process installs at its entry, never on ``import keel``.

Importing a library must not change the interpreter: a script, a bench or a test
that imports ``keel`` keeps its own ``sys.excepthook`` and ``sys.meta_path``. The
processes Keel itself starts install these hooks first thing: the ``keel`` command
(``keel.cli.main``, also behind ``python -m keel`` and ``keel serve``) and every
worker process (``keel.runtime.worker_process``). Standard library only: the fast start
imports this module (docs/architecture.md, "Architecture invariants").
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType, TracebackType
from typing import Any


def install_entry_hooks() -> None:
    """One line instead of a traceback on Ctrl-C; structlog on stderr until logging is configured."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = quiet_interrupt
    structlog_to_stderr()


def quiet_interrupt(kind: type[BaseException], value: BaseException,
                    traceback: TracebackType | None) -> None:
    # Ctrl-C while the `keel` command is still importing: one line, not a traceback.
    if issubclass(kind, KeyboardInterrupt):
        sys.stderr.write("keel: interrupted.\n")
    else:
        sys.__excepthook__(kind, value, traceback)


def structlog_to_stderr() -> None:
    """stdout is the JSON-RPC channel (and the CLI's --json output): until
    ``keel.observability.logging.configure_logging`` runs, structlog's default
    would print there. So structlog is pointed at stderr now if it is loaded,
    else the moment it loads."""
    if "structlog" in sys.modules:
        _logs_to_stderr(sys.modules["structlog"])
    elif _StructlogToStderrOnImport not in sys.meta_path:
        sys.meta_path.insert(0, _StructlogToStderrOnImport)


def _logs_to_stderr(structlog: ModuleType) -> None:
    if not structlog.is_configured():
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))


@contextmanager
def _rich_hidden() -> Iterator[None]:
    """structlog imports rich, when installed, for the tracebacks of its console
    renderer: ~50 ms at every start of the server and of the workers' fork server,
    which render JSON and Keel's own lines (``keel.observability.logging``). So a
    process Keel starts loads structlog with rich hidden, and structlog falls back to
    plain tracebacks, as it does where rich is not installed. Hidden only while
    structlog loads, when no other thread of a Keel process imports rich (the
    ``keel`` command, the server's loading thread, the fork server's preload): the
    CLI's tables import rich later as usual. Should a structlog need rich, it is
    loaded again with rich visible."""
    if "rich" in sys.modules:
        yield
        return
    sys.modules["rich"] = None  # type: ignore[assignment]  # `import rich` raises ImportError
    try:
        yield
    finally:
        if "rich" in sys.modules and sys.modules["rich"] is None:
            del sys.modules["rich"]


class _StructlogToStderrOnImport:
    """A one-shot import hook rather than ``import structlog``: structlog costs
    ~100 ms that the fast start would pay whether it logs or not."""

    fired = False  # one shot; it stays on sys.meta_path (removing it could race another thread's import)

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if cls.fired or name != "structlog":
            return None
        cls.fired = True  # find_spec below asks the other finders
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            load = spec.loader.exec_module

            def exec_module(module: ModuleType) -> None:
                try:
                    with _rich_hidden():
                        load(module)
                except ImportError:  # a structlog that cannot do without rich
                    load(module)
                _logs_to_stderr(module)

            vars(spec.loader)["exec_module"] = exec_module  # this loader instance only
        return spec
