"""`keel workflows`: the built-in workflows and the workspace's `.keel/workflows.toml`.

A broken workflows.toml is reported (file, line, field) on stderr and makes
the exit code 3 (config); the built-ins are still listed, as the server does.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from keel.errors import ConfigError, KeelError

from .common import VERBOSE, WORKSPACE, fail, show_logs
from .help import KeelCommand


def register(app: typer.Typer) -> None:
    @app.command("workflows", cls=KeelCommand)
    def workflows(workspace: Path = WORKSPACE, verbose: bool = VERBOSE) -> None:
        """List the workflows (built-in and the workspace's .keel/workflows.toml).

        Exit code 0, or 3 when .keel/workflows.toml is broken (the built-ins and
        the file's valid workflows are still listed).
        """
        from keel.workflows.definitions import load_catalog

        show_logs(verbose)
        try:
            catalog = load_catalog(workspace.resolve())
        except KeelError as error:
            fail(error)
        broken: ConfigError | None = catalog.problem
        found = list(catalog.workflows.values())
        table = Table(title="Keel workflows")
        for column in ("id", "profile", "stages", "description"):
            table.add_column(column, overflow="fold")
        for wf in found:
            stages = ", ".join(f"{s.id}" + (f" ({s.tier})" if s.tier else "") for s in wf.stages)
            table.add_row(escape(wf.id), wf.profile, escape(stages), escape(wf.description))
        Console(width=max(120, Console().width)).print(table)
        if broken is not None:
            typer.echo("(the workflows above can be used; the file's broken ones are not listed)", err=True)
            fail(broken)
