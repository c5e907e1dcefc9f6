"""The `keel` typer app; each subcommand group lives in its own module.

A subcommand module exposes ``register(app)``; ``COMMAND_MODULES`` lists them.
Exit codes by errorType are defined once in ``keel.errors.EXIT_CODES``.
"""

from __future__ import annotations

import importlib

import typer

from keel import __version__

from .help import KeelGroup

app = typer.Typer(
    name="keel",
    help="Keel: the backend of AI-assisted code workflows (JSON-RPC server and CLI).",
    cls=KeelGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES: tuple[str, ...] = (
    "serve", "doctor", "analyze", "run", "estimate", "history", "chaos", "models",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"keel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Keel command line."""
    if ctx.invoked_subcommand != "serve":  # serve sets up its own log file
        from .common import quiet_logging

        quiet_logging(ctx)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"keel.cli.{name}")
        module.register(app)


_register_all()
