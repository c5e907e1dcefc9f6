"""`keel estimate WORKFLOW TARGET [--json]`: the dashboard's cost estimate, from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from keel.cost.calibration import MIN_SAMPLES, Calibration
from keel.cost.estimate import estimate_cost
from keel.errors import KeelError
from keel.protocol.cost import CostEstimate
from keel.protocol.settings import Settings
from keel.scan.cache import EstimateCache
from keel.scan.scanner import DEFAULT_MAX_FILE_BYTES
from keel.settings import load_settings
from keel.targets import resolve_target

from .common import (
    SETTINGS,
    VERBOSE,
    WORKSPACE,
    at_least,
    fail,
    settings_object,
    show_logs,
    warn_settings_problems,
    with_target_context,
)
from .help import KeelCommand


def _load_settings_file(path: Path | None) -> Settings:
    raw, source = settings_object(path)
    loaded = load_settings(raw, source=source)
    warn_settings_problems(loaded.problems)
    return loaded.settings


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def calibration_of(root: Path, settings: Settings, workflow: str) -> Calibration:
    """What past runs in this workspace say about the estimate's error (none yet: the default)."""
    from keel.storage import HistoryReader, database_path

    path = database_path(root, settings.storage.dir)
    if not path.exists():
        return Calibration()
    try:
        with HistoryReader(path) as reader:
            samples, error = reader.estimator_error(workflow)
    except KeelError:
        return Calibration()
    return Calibration(samples, error)


def calibration_in_words(cal: Calibration) -> str:
    pct = round(100 * cal.band_fraction)
    if cal.calibrated:
        return (f"The range is ±{pct} %: the mean error of this workspace's past estimates, "
                f"measured on {cal.samples} model stages that ran.")
    return (f"The range is ±{pct} %, a default guess: once {MIN_SAMPLES} model stages have run "
            f"here ({cal.samples} so far), it becomes the error measured on them.")


def render_table(result: CostEstimate, console: Console, cal: Calibration | None = None) -> None:
    table = Table(title=f"{result.workflow} on {result.target}")
    for column in ("stage", "tier", "provider", "model", "input tok", "output tok", "USD", "note"):
        table.add_column(column, overflow="fold",
                         justify="right" if column in ("input tok", "output tok", "USD") else "left")
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
    method = result.method
    if cal is not None:
        method = method.removesuffix(f"; {cal.describe()}")
    console.print(f"method: {method}; {result.cached_files:,} files from cache; "
                  f"{result.duration_ms} ms", style="dim")
    if cal is not None:
        console.print(calibration_in_words(cal), style="dim")
    no_input = (result.model_extra or {}).get("noInput")  # a run of this target would be refused
    if no_input:
        console.print(f"note: {no_input}", style="yellow")


def register(app: typer.Typer) -> None:
    @app.command("estimate", cls=KeelCommand)
    def estimate(
        workflow: str = typer.Argument(..., metavar="WORKFLOW", show_default=False,
                                       help="Workflow id, e.g. review (`keel workflows` lists them)."),
        target: str = typer.Argument(..., metavar="TARGET", show_default=False,
                                     help="File or folder, relative to the workspace."),
        as_json: bool = typer.Option(False, "--json", help="Print the CostEstimate as JSON."),
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        max_file_bytes: int = typer.Option(DEFAULT_MAX_FILE_BYTES, "--max-file-bytes", metavar="BYTES",
                                           callback=at_least(1), help="Skip files larger than this."),
        verbose: bool = VERBOSE,
    ) -> None:
        """Estimate what running WORKFLOW on TARGET would cost, per stage.

        Exit code 0, 2 for a bad workflow or target, 3 for a bad settings file.
        """
        show_logs(verbose)
        root = workspace.resolve()
        try:
            settings = _load_settings_file(settings_file)
            resolved = resolve_target(target, [root])
            cal = calibration_of(root, settings, workflow)
            result = estimate_cost(workflow, resolved, root, settings, cache=EstimateCache(),
                                   calibration=cal, max_file_bytes=max_file_bytes)
        except KeelError as error:
            fail(with_target_context(error, target, root))
        if as_json:
            typer.echo(json.dumps(result.wire(), indent=2))
        else:
            render_table(result, Console(width=max(120, Console().width)), cal)
