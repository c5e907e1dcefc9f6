"""Keel: a long-running JSON-RPC backend for AI-assisted code workflows.

Importing ``keel`` stays cheap (the standard library only): ``keel serve``'s
fast start imports it before it answers the editor (docs/architecture.md,
"Startup path"), and a contract test checks that no third-party package loads.
"""

import sys as _sys

__version__ = "0.1.0"


def _quiet_interrupt(kind, value, traceback, _default=_sys.excepthook):
    # Ctrl-C while the `keel` command is still importing: one line, not a traceback.
    if issubclass(kind, KeyboardInterrupt):
        _sys.stderr.write("keel: interrupted.\n")
    else:
        _default(kind, value, traceback)


if _sys.excepthook is _sys.__excepthook__:
    _sys.excepthook = _quiet_interrupt


def _logs_to_stderr(structlog) -> None:
    if not structlog.is_configured():
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=_sys.stderr))


class _StructlogToStderrOnImport:
    """stdout is the JSON-RPC channel (and the CLI's --json output): until
    ``keel.observability.logging.configure_logging`` runs, structlog's default
    would print there. So structlog is pointed at stderr the moment it loads.

    A one-shot import hook rather than ``import structlog`` here: structlog
    loads rich, 100–250 ms that everything importing ``keel`` (the fast start
    first) would pay whether it logs or not.
    """

    fired = False  # one shot; it stays on sys.meta_path (removing it could race another thread's import)

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if cls.fired or name != "structlog":
            return None
        cls.fired = True  # find_spec below asks the other finders
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            load = spec.loader.exec_module

            def exec_module(module) -> None:
                load(module)
                _logs_to_stderr(module)

            spec.loader.exec_module = exec_module
        return spec


if "structlog" in _sys.modules:
    _logs_to_stderr(_sys.modules["structlog"])
else:
    _sys.meta_path.insert(0, _StructlogToStderrOnImport)
