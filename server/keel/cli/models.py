"""`keel models` and `keel models validate`: the model registry and its health, in-process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from keel.errors import EXIT_FAILED, EXIT_OK, exit_code_for

WORKSPACE = typer.Option(Path("."), "--workspace", help="Workspace folder (default: here).")
SETTINGS = typer.Option(None, "--settings",
                        help="A JSON settings file (providers, models.registryPath).")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _app_with_registry(workspace: Path, settings_file: Path | None):
    """A KeelApp with the settings and the registry file applied; exits on a bad file."""
    from keel.app.models_ops import apply_registry_file
    from keel.app.state import KeelApp

    state = KeelApp(workspace_folders=[workspace.resolve()])
    raw = None
    if settings_file is not None:
        try:
            raw = json.loads(settings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            typer.echo(f"error: cannot read settings file {settings_file}: {exc}", err=True)
            raise typer.Exit(3) from None
    problem = state.apply_settings(raw, str(settings_file) if settings_file else "settings")
    if problem:
        typer.echo(f"error: invalid setting {problem}", err=True)
        raise typer.Exit(3)
    error = apply_registry_file(state)
    if error is not None:
        typer.echo(f"error: {error.message}", err=True)
        if error.hint:
            typer.echo(f"fix: {error.hint}", err=True)
        raise typer.Exit(exit_code_for(error))
    return state


def _price(value: float) -> str:
    return f"${value:g}"


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="The model registry: tiers, model ids, prices and their dates.",
                         invoke_without_command=True)
    app.add_typer(models, name="models")

    @models.callback()
    def list_models(
        ctx: typer.Context,
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        as_json: bool = AS_JSON,
    ) -> None:
        """List each configured provider's tiers: model id, prices, the date each was checked."""
        if ctx.invoked_subcommand is not None:
            return
        from rich.console import Console
        from rich.table import Table

        from keel.providers.registry_check import registry_entries

        state = _app_with_registry(workspace, settings_file)
        entries = registry_entries(state.settings)
        if as_json:
            typer.echo(json.dumps({"entries": [e.wire() for e in entries]}, indent=2))
            return
        table = Table(title="keel models (USD per million tokens)")
        for column in ("provider", "tier", "model", "input", "output", "checked", "source"):
            table.add_column(column)
        for e in entries:
            table.add_row(e.provider, e.tier, e.model + ("" if e.price_known else " (unpriced)"),
                          _price(e.input_usd_per_mtok), _price(e.output_usd_per_mtok),
                          e.checked, e.source)
        Console().print(table)

    @models.command("validate")
    def validate(
        network: bool = typer.Option(False, "--network",
                                     help="Also ask each provider with a key which models it "
                                          "serves (GET /v1/models)."),
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        as_json: bool = AS_JSON,
    ) -> None:
        """Check every registry entry; exit 1 when a check fails."""
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from keel.providers.registry_check import validate_models

        state = _app_with_registry(workspace, settings_file)
        report = asyncio.run(validate_models(state.settings, state.env, network=network))
        if as_json:
            typer.echo(json.dumps(report.wire(), indent=2))
        else:
            table = Table(title="keel models validate")
            for column in ("check", "status", "message", "fix"):
                table.add_column(column)
            style = {"pass": "green", "warn": "yellow", "fail": "bold red"}
            for check in report.checks:
                # Messages name settings like providers[id]: not rich markup.
                table.add_row(escape(check.title), f"[{style[check.status]}]{check.status}[/]",
                              escape(check.message), escape(check.fix or ""))
            Console().print(table)
            Console().print("[green]registry ok[/]" if report.ok
                            else "[bold red]registry has failing checks[/]: see the fixes above")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
