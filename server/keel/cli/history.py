"""`keel history`, `keel history cleanup` and `keel report`: run history from the workspace's database."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import structlog
import typer
from rich.console import Console
from rich.table import Table

from keel.errors import KeelError, exit_code_for
from keel.protocol import UsageBreakdown, UsageReport
from keel.storage import HistoryReader, database_path
from keel.storage.retention import DEFAULT_MAX_BYTES, DEFAULT_RETENTION_DAYS

T = TypeVar("T")

WORKSPACE = typer.Option(Path("."), "--workspace", help="Workspace folder (default: here).")
STORAGE_DIR = typer.Option(None, "--storage-dir",
                           help="Storage folder (keel.storage.dir); default: the user data dir.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _quiet_logs() -> None:
    # Logs go to stderr, never into the table or JSON on stdout.
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )


def _read(workspace: Path, storage_dir: Path | None, read: Callable[[HistoryReader], T]) -> T:
    _quiet_logs()
    try:
        with HistoryReader(database_path(workspace, storage_dir)) as reader:
            return read(reader)
    except KeelError as error:
        typer.echo(f"error: {error.message}", err=True)
        if error.hint:
            typer.echo(f"fix: {error.hint}", err=True)
        raise typer.Exit(exit_code_for(error)) from error


def register(app: typer.Typer) -> None:
    history = typer.Typer(help="Past workflow runs of this workspace.",
                          invoke_without_command=True)
    app.add_typer(history, name="history")

    @history.callback()
    def list_history(
        ctx: typer.Context,
        limit: int = typer.Option(20, "--limit", min=1, max=10_000, help="How many runs."),
        workflow: str | None = typer.Option(None, "--workflow", help="Only this workflow."),
        as_json: bool = AS_JSON,
        workspace: Path = WORKSPACE,
        storage_dir: Path | None = STORAGE_DIR,
    ) -> None:
        """List the newest runs first."""
        if ctx.invoked_subcommand is not None:
            return
        runs = _read(workspace, storage_dir, lambda r: r.list_runs(limit, workflow))
        if as_json:
            typer.echo(json.dumps({"runs": [run.wire() for run in runs]}, indent=2))
            return
        table = Table(title=f"keel history ({len(runs)} runs, newest first)")
        for column in ("started", "workflow", "target", "status", "duration", "cost"):
            table.add_column(column)
        for run in runs:
            table.add_row(run.started_at, run.workflow, run.target, run.status,
                          f"{run.duration_ms / 1000:.1f} s", f"${run.actual_usd:.4f}")
        Console().print(table)

    @history.command("cleanup")
    def cleanup(
        apply: bool = typer.Option(False, "--apply/--dry-run",
                                   help="Delete for real (default: only say what would go)."),
        days: int = typer.Option(DEFAULT_RETENTION_DAYS, "--days", min=1,
                                 help="Keep runs of the last N days."),
        max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", min=1,
                                      help="Then delete the oldest runs until data fits."),
        as_json: bool = AS_JSON,
        workspace: Path = WORKSPACE,
        storage_dir: Path | None = STORAGE_DIR,
    ) -> None:
        """Delete old history by age and size; VACUUM only with --apply."""
        report = _read(workspace, storage_dir,
                       lambda r: r.cleanup(days, max_bytes, dry_run=not apply))
        if as_json:
            typer.echo(json.dumps({"runsDeleted": report.runs_deleted,
                                   "callsDeleted": report.calls_deleted,
                                   "bytesBefore": report.bytes_before,
                                   "bytesAfter": report.bytes_after,
                                   "dryRun": report.dry_run}))
            return
        verb = "would delete" if report.dry_run else "deleted"
        typer.echo(f"{verb} {report.runs_deleted} runs and {report.calls_deleted} model calls; "
                   f"size {report.bytes_before} → {report.bytes_after} bytes"
                   + (" (run with --apply to do it)" if report.dry_run else ""))

    @app.command("report")
    def report(
        days: int = typer.Option(30, "--days", min=1, max=3650, help="Last N days (UTC)."),
        as_json: bool = AS_JSON,
        workspace: Path = WORKSPACE,
        storage_dir: Path | None = STORAGE_DIR,
    ) -> None:
        """Usage, reliability and cost of the last N days."""
        from keel.reliability.report import reliability_report

        usage = _read(workspace, storage_dir, lambda r: reliability_report(r, days))
        if as_json:
            typer.echo(json.dumps(usage.wire(), indent=2))
            return
        _print_report(usage)


def _print_report(usage: UsageReport) -> None:
    from .reliability_view import metrics_table, print_alerts, print_warnings

    console = Console()
    print_alerts(usage, console)
    summary = Table(title=f"keel report: last {usage.days} days")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    mttr = usage.mean_time_to_recovery_ms
    rows = [
        ("runs", str(usage.runs)), ("succeeded", str(usage.succeeded)),
        ("failed", str(usage.failed)), ("cancelled", str(usage.cancelled)),
        ("timed out", str(usage.timed_out)), ("partial", str(usage.partial)),
        ("interrupted", str(usage.interrupted)), ("running", str(usage.running)),
        ("success rate", f"{usage.success_rate:.1%}"),
        ("timeout rate", f"{usage.timeout_rate:.1%}"),
        ("fallback rate", f"{usage.fallback_rate:.1%}"),
        ("retry amplification", f"{usage.retry_amplification:.2f}x"),
        ("mean time to recovery", "-" if mttr is None else f"{mttr} ms"),
        ("actual", f"${usage.actual_usd:.4f}"), ("premium baseline", f"${usage.baseline_usd:.4f}"),
        ("savings", f"${usage.savings_usd:.4f}"), ("dropped events", str(usage.dropped_events)),
    ]
    if usage.estimator and usage.estimator.samples:
        rows.append(("estimate error (mean abs)",
                     f"{usage.estimator.mean_abs_pct_error:.1f}% over "
                     f"{usage.estimator.samples} stages"))
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    console.print(metrics_table(usage))
    for title, entries in (("by workflow", usage.by_workflow),
                           ("by provider", usage.by_provider), ("by day", usage.by_day)):
        if entries:
            console.print(_breakdown_table(title, entries))
    print_warnings(usage, console)


def _breakdown_table(title: str, entries: list[UsageBreakdown]) -> Table:
    table = Table(title=title)
    for column in ("key", "runs", "calls", "success", "fallbacks", "attempts", "actual",
                   "savings", "MTTR"):
        table.add_column(column, justify="left" if column == "key" else "right")
    for e in entries:
        mttr = "-" if e.mean_time_to_recovery_ms is None else f"{e.mean_time_to_recovery_ms} ms"
        table.add_row(e.key, str(e.runs), str(e.calls), f"{e.success_rate:.1%}",
                      str(e.fallbacks), str(e.attempts), f"${e.actual_usd:.4f}",
                      f"${e.savings_usd:.4f}", mttr)
    return table
