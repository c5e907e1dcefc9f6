"""`keel models` and `keel models validate`: the model registry and its health, in-process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from keel.errors import EXIT_FAILED, EXIT_OK, KeelError

from .common import (
    SETTINGS,
    VERBOSE,
    WORKSPACE,
    apply_settings_file,
    fail,
    print_checks,
    show_logs,
)
from .help import KeelCommand, KeelGroup

if TYPE_CHECKING:  # imported when the command runs: `keel --help` stays fast
    from keel.app.state import KeelApp

AS_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _app_with_registry(workspace: Path, settings_file: Path | None) -> KeelApp:
    """A KeelApp with the settings and the registry file applied; exits on a bad file."""
    from keel.app.model_registry import apply_registry_file
    from keel.app.state import KeelApp

    state = KeelApp(workspace_folders=[workspace.resolve()], workspace_trusted=True)  # the user named it
    try:
        apply_settings_file(state, settings_file)
        registry_problem = apply_registry_file(state)
    except KeelError as exc:
        fail(exc)
    if registry_problem is not None:
        fail(registry_problem)
    return state


def _price(value: float) -> str:
    return f"${value:g}"


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="The model registry: tiers, model ids, prices and their dates.",
                         cls=KeelGroup, invoke_without_command=True,
                         subcommand_metavar="[COMMAND [ARGS]...]")
    app.add_typer(models, name="models")

    @models.callback()
    def list_models(
        ctx: typer.Context,
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        as_json: bool = AS_JSON,
        verbose: bool = VERBOSE,
    ) -> None:
        """List each configured provider's tiers: model id, prices, the date each was checked."""
        show_logs(verbose)
        if ctx.invoked_subcommand is not None:
            return
        from rich.console import Console

        from keel.providers.registry_check import registry_entries

        from .layout import print_rows

        state = _app_with_registry(workspace, settings_file)
        entries = registry_entries(state.settings)
        if as_json:
            typer.echo(json.dumps({"entries": [e.wire() for e in entries]}, indent=2))
            return
        print_rows(Console(), "keel models (USD per million tokens)",
                   ("model", "provider", "tier", "input", "output", "checked", "source"),
                   [(e.model + ("" if e.price_known else " (unpriced)"), e.provider, e.tier,
                     _price(e.input_usd_per_mtok), _price(e.output_usd_per_mtok), e.checked,
                     e.source) for e in entries], right=("input", "output"))

    @models.command("validate", cls=KeelCommand)
    def validate(
        network: bool = typer.Option(False, "--network",
                                     help="Also ask each provider with a key which models it "
                                          "serves (GET /v1/models)."),
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        as_json: bool = AS_JSON,
        verbose: bool = VERBOSE,
    ) -> None:
        """Check every registry entry; exit 1 when a check fails."""
        show_logs(verbose)

        from keel.providers.registry_check import validate_models

        state = _app_with_registry(workspace, settings_file)
        report = asyncio.run(validate_models(state.settings, state.env, network=network))
        if as_json:
            typer.echo(json.dumps(report.wire(), indent=2))
        else:
            print_checks("keel models validate", report.checks, report.ok, "registry ok",
                         "registry has failing checks")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
