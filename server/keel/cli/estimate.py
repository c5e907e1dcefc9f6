"""`keel estimate WORKFLOW TARGET [--json]`: the dashboard's cost estimate, from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from keel.cost.estimate import estimate_cost
from keel.errors import KeelError, exit_code_for
from keel.protocol.cost import CostEstimate
from keel.scan.cache import EstimateCache
from keel.scan.scanner import DEFAULT_MAX_FILE_BYTES
from keel.settings import load_settings
from keel.targets import resolve_target


def _load_settings_file(path: Path | None):
    if path is None:
        return load_settings(None).settings
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"warning: {path.name}: cannot be read ({exc}); using defaults", err=True)
        return load_settings(None).settings
    loaded = load_settings(raw, source=path.name)
    if loaded.problem:
        typer.echo(f"warning: {loaded.problem}; using defaults", err=True)
    return loaded.settings


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def render_table(result: CostEstimate, console: Console) -> None:
    table = Table(title=f"{result.workflow} on {result.target}")
    for column in ("stage", "tier", "provider", "model", "input tok", "output tok", "USD", "note"):
        justify = "right" if column in ("input tok", "output tok", "USD") else "left"
        table.add_column(column, justify=justify, overflow="fold")
    for stage in result.stages:
        table.add_row(stage.id, stage.tier or "-", stage.provider or "-", stage.model or "-",
                      f"{stage.input_tokens:,}", f"{stage.output_tokens:,}", _usd(stage.usd),
                      stage.note or "")
    console.print(table)
    usd = result.usd
    console.print(
        f"{result.files:,} files, {result.bytes:,} bytes, {result.skipped_files:,} skipped; "
        f"total {_usd(usd.expected)} (range {_usd(usd.low)} to {_usd(usd.high)})"
    )
    if result.if_configured is not None:
        band = result.if_configured.usd
        console.print(f"if configured, on {result.if_configured.provider}: "
                      f"{_usd(band.expected)} (range {_usd(band.low)} to {_usd(band.high)})")
    console.print(f"method: {result.method}; {result.cached_files:,} files from cache; "
                  f"{result.duration_ms} ms", style="dim")


def register(app: typer.Typer) -> None:
    @app.command("estimate")
    def estimate(
        workflow: str = typer.Argument(..., help="Workflow id, e.g. review."),
        target: str = typer.Argument(..., help="File or folder, relative to the workspace."),
        as_json: bool = typer.Option(False, "--json", help="Print the CostEstimate as JSON."),
        workspace: Path = typer.Option(Path("."), "--workspace", "-w",
                                       help="Workspace folder (default: the current one)."),
        settings_file: Path | None = typer.Option(None, "--settings",
                                                  help="Settings JSON (as in initializationOptions)."),
        max_file_bytes: int = typer.Option(DEFAULT_MAX_FILE_BYTES, "--max-file-bytes", min=1,
                                           help="Skip files larger than this."),
    ) -> None:
        """Estimate what running WORKFLOW on TARGET would cost, per stage."""
        settings = _load_settings_file(settings_file)
        try:
            root = workspace.resolve()
            resolved = resolve_target(target, [root])
            result = estimate_cost(workflow, resolved, root, settings, cache=EstimateCache(),
                                   calibration=None, max_file_bytes=max_file_bytes)
        except KeelError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(exit_code_for(exc)) from None
        if as_json:
            typer.echo(json.dumps(result.wire(), indent=2))
        else:
            render_table(result, Console(width=max(120, Console().width)))
