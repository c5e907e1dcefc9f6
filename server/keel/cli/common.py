"""What every `keel` command shares: options, quiet logging, settings files, error exits.

Logs of a CLI command go to the log file only; ``-v`` also shows them on
stderr. stdout carries only the command's output (a table, JSON, a report).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from keel.errors import ConfigError, KeelError, exit_code_for

if TYPE_CHECKING:  # imported by the commands that use them: `keel --help` stays fast
    from keel.app.state import KeelApp
    from keel.protocol.health import PreflightCheck

WORKSPACE = typer.Option(Path("."), "--workspace", "-w", metavar="DIR", show_default=False,
                         help="Workspace folder (default: the current folder).")
SETTINGS = typer.Option(None, "--settings", metavar="FILE",
                        help="Settings JSON, as the editor sends it (initializationOptions).")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also print log lines on stderr.")

# Above every level: the stderr handler stays installed but says nothing.
_SILENT = logging.CRITICAL + 10
_log_file: list[Path] = []


def _stderr_handlers() -> list[logging.Handler]:
    from keel.observability.logging import CurrentStderrHandler

    return [h for h in logging.getLogger().handlers if isinstance(h, CurrentStderrHandler)]


def quiet_logging(ctx: typer.Context) -> None:
    """Log to the file only, for as long as this command runs."""
    from keel.observability.logging import configure_logging

    path = configure_logging("info", to_file=True)
    if path is not None:
        _log_file[:] = [path]
    handlers = _stderr_handlers()
    before = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(_SILENT)

    def restore() -> None:
        for handler, level in zip(handlers, before, strict=True):
            handler.setLevel(level)

    ctx.call_on_close(restore)


def show_logs(verbose: bool, level: str = "debug") -> None:
    """``-v``: log lines on stderr too."""
    if not verbose:
        return
    from keel.observability.logging import set_level

    set_level(level)
    for handler in _stderr_handlers():
        handler.setLevel(logging.NOTSET)


def log_file() -> Path | None:
    return _log_file[0] if _log_file else None


def fail(error: KeelError) -> NoReturn:
    """One line naming what was wrong, the fix when known, and the exit code of its type."""
    typer.echo(f"error: {error.message}", err=True)
    if error.hint:
        typer.echo(f"fix: {error.hint}", err=True)
    raise typer.Exit(exit_code_for(error))


def read_settings_file(path: Path | None) -> tuple[object, str]:
    """The raw settings object of ``--settings FILE`` and a source name for messages."""
    if path is None:
        return None, "settings"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--settings {path}: no such file.",
                          hint="Give the path of a JSON settings file, or leave --settings out.") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--settings {path}: cannot be read ({reason}).") from None
    try:
        return json.loads(text), path.name
    except ValueError as exc:
        raise ConfigError(f"--settings {path}: not valid JSON ({exc}).",
                          hint="Fix the JSON syntax at the position named.") from None


def settings_object(path: Path | None) -> tuple[dict[str, object] | None, str]:
    """``--settings FILE`` as an object; a file that is not one object is a config error (exit 3)."""
    raw, source = read_settings_file(path)
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"--settings {path}: expected an object, got {type(raw).__name__}.",
                          hint='Write the settings as one JSON object, e.g. {"logLevel": "debug"}.')
    return raw, source


def warn_settings_problems(problems: tuple[str, ...]) -> None:
    """Each ignored setting on stderr; the command goes on with every valid one."""
    for problem in problems:
        typer.echo(f"warning: {problem}.", err=True)


def apply_settings_file(kapp: KeelApp, path: Path | None) -> None:
    """Load ``--settings`` into the app; each invalid field is ignored with a warning naming it."""
    raw, source = settings_object(path)
    kapp.apply_settings(raw, source)
    warn_settings_problems(kapp.settings_load.problems)


def at_least(minimum: int) -> Callable[[int | None], int | None]:
    """A typer callback: the value must be ``minimum`` or more (named in the message)."""

    def check(value: int | None) -> int | None:
        if value is not None and value < minimum:
            raise typer.BadParameter(f"must be at least {minimum}, got {value}.")
        return value

    return check


_TARGET_CODES = {"target.outside_workspace", "target.not_found"}


def with_target_context(error: KeelError, target: str, workspace: Path) -> KeelError:
    """A target error names the target and the workspace, and how to pick another workspace."""
    if error.code not in _TARGET_CODES:
        return error
    message = f"{error.message.rstrip('.')} (target {target!r}, workspace {workspace})."
    hint = error.hint
    if error.code == "target.outside_workspace":
        hint = "Run keel from the project folder, or pass -w/--workspace DIR with a folder that contains the target."
    elif error.code == "target.not_found":
        hint = hint or "Check the spelling; a relative target is taken from the workspace folder (-w)."
    return type(error)(message, code=error.code, hint=hint, details=error.details)


def print_checks(title: str, checks: Iterable[PreflightCheck], ok: bool, verdict_ok: str,
                 verdict_failed: str) -> None:
    """A table of preflight-style checks (title, status, message, fix), then one verdict."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in ("check", "status", "message", "fix"):
        table.add_column(column)
    style = {"pass": "green", "warn": "yellow", "fail": "bold red"}
    for check in checks:
        # Messages name settings like providers[id]: not rich markup.
        table.add_row(escape(check.title), f"[{style[check.status]}]{check.status}[/]",
                      escape(check.message), escape(check.fix or ""))
    Console().print(table)
    Console().print(f"[green]{verdict_ok}[/]" if ok
                    else f"[bold red]{verdict_failed}[/]: see the fixes above")
