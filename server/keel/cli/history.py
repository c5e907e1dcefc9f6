"""`keel history`, `keel history show`, `keel history cleanup` and `keel report`.

Run history from the workspace's database. Exit code 0; 2 for an unknown run
id; the storage error's code when the database cannot be read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from keel.errors import InvalidInput, KeelError
from keel.protocol import RunSummary, UsageBreakdown, UsageReport
from keel.storage import HistoryReader, database_path
from keel.storage.retention import DEFAULT_MAX_BYTES, DEFAULT_RETENTION_DAYS
from keel.workflows.report import status_word

from .common import SETTINGS, VERBOSE, WORKSPACE, at_least, fail, show_logs
from .help import KeelCommand, KeelGroup
from .layout import local_time, print_rows

T = TypeVar("T")

STORAGE_DIR = typer.Option(None, "--storage-dir", metavar="DIR", file_okay=False,
                           help="Storage folder (keel.storage.dir); default: the user data dir.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _read(workspace: Path, storage_dir: Path | None, read: Callable[[HistoryReader], T]) -> T:
    try:
        with HistoryReader(database_path(workspace, storage_dir)) as reader:
            return read(reader)
    except KeelError as error:
        fail(error)


def _find_run(reader: HistoryReader, run_id: str) -> RunSummary:
    runs = reader.list_runs(1_000_000)
    found = [run for run in runs if run.run_id == run_id or run.run_id.startswith(run_id)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput(f"No run {run_id!r} in this workspace's history.", code="run.unknown",
                           hint="`keel history` lists the run ids (use -w for another workspace).")
    raise InvalidInput(f"{len(found)} runs start with {run_id!r}.", code="run.ambiguous",
                       hint="Give more of the run id.")


def _run_and_report(reader: HistoryReader, run_id: str) -> tuple[RunSummary, str | None]:
    run = _find_run(reader, run_id)
    return run, reader.run_report(run.run_id)


def _print_run(run: RunSummary, report: str | None) -> None:
    console = Console()
    table = Table(title=f"run {run.run_id}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for name, value in (("workflow", run.workflow), ("target", run.target),
                        ("status", status_word(run.status)),
                        ("started", local_time(run.started_at)),
                        ("duration", f"{run.duration_ms / 1000:.1f} s"),
                        ("cost", f"${run.actual_usd:.4f}")):
        table.add_row(name, escape(value))
    console.print(table)
    if report:
        from rich.markdown import Markdown

        console.print(Markdown(report))  # rendered as text: markup in findings stays inert
    else:
        console.print("This run's report was not kept (runs recorded before Keel kept reports, "
                      f"or one that never finished); run it again: keel run {run.workflow} "
                      f"{escape(run.target)}", style="dim")


def register(app: typer.Typer) -> None:
    history = typer.Typer(help="Past workflow runs of this workspace.", cls=KeelGroup,
                          invoke_without_command=True, subcommand_metavar="[COMMAND [ARGS]...]")
    app.add_typer(history, name="history")

    @history.callback()
    def list_history(
        ctx: typer.Context,
        limit: int = typer.Option(20, "--limit", metavar="N", callback=at_least(1),
                                  help="How many runs."),
        workflow: str | None = typer.Option(None, "--workflow", metavar="ID",
                                            help="Only this workflow."),
        as_json: bool = AS_JSON,
        workspace: Path = WORKSPACE,
        storage_dir: Path | None = STORAGE_DIR,
        verbose: bool = VERBOSE,
    ) -> None:
        """List the newest runs first; `keel history show RUN_ID` shows one."""
        show_logs(verbose)
        if ctx.invoked_subcommand is not None:
            ctx.obj = {"workspace": workspace, "storage_dir": storage_dir, "as_json": as_json}
            return
        runs = _read(workspace, storage_dir, lambda r: r.list_runs(limit, workflow))
        if as_json:
            typer.echo(json.dumps({"runs": [run.wire() for run in runs]}, indent=2))
            return
        print_rows(Console(), f"keel history ({len(runs)} runs, newest first; local times)",
                   ("run id", "started", "status", "workflow", "target", "duration", "cost"),
                   [(run.run_id, local_time(run.started_at), status_word(run.status),
                     run.workflow, run.target, f"{run.duration_ms / 1000:.1f} s",
                     f"${run.actual_usd:.4f}") for run in runs],
                   right=("duration", "cost"))
        if not runs:
            Console().print(f"No runs recorded for the workspace {escape(str(workspace.resolve()))}"
                            " (use -w for another one).", style="dim")

    @history.command("show", cls=KeelCommand)
    def show(
        ctx: typer.Context,
        run_id: str = typer.Argument(..., metavar="RUN_ID", show_default=False,
                                     help="A run id from `keel history` (a unique prefix will do)."),
        as_json: bool = AS_JSON,
        workspace: Path | None = typer.Option(None, "--workspace", "-w", metavar="DIR",
                                              help="Workspace folder (default: the current folder)."),
        storage_dir: Path | None = STORAGE_DIR,
    ) -> None:
        """Show one past run: workflow, target, status, duration, cost and its report."""
        parent = ctx.obj or {}
        workspace = workspace or parent.get("workspace") or Path(".")
        storage_dir = storage_dir or parent.get("storage_dir")
        run, report = _read(workspace, storage_dir, lambda r: _run_and_report(r, run_id))
        if as_json or parent.get("as_json"):
            typer.echo(json.dumps({**run.wire(), "reportMarkdown": report}, indent=2))
            return
        _print_run(run, report)

    @history.command("cleanup", cls=KeelCommand)
    def cleanup(
        apply: bool = typer.Option(False, "--apply/--dry-run",
                                   help="Delete for real (default: only say what would go)."),
        days: int = typer.Option(DEFAULT_RETENTION_DAYS, "--days", metavar="N",
                                 callback=at_least(1), help="Keep runs of the last N days."),
        max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", metavar="BYTES",
                                      callback=at_least(1),
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

    @app.command("report", cls=KeelCommand)
    def report(
        days: int = typer.Option(30, "--days", metavar="N", callback=_days,
                                 help="Last N days (UTC), 1 to 3650."),
        as_json: bool = AS_JSON,
        workspace: Path = WORKSPACE,
        storage_dir: Path | None = STORAGE_DIR,
        settings_file: Path | None = SETTINGS,
        verbose: bool = VERBOSE,
    ) -> None:
        """Usage, reliability and cost of the last N days, and spend against the budgets."""
        from keel.reliability.report import reliability_report

        from .budget import ledger_budget

        show_logs(verbose)
        usage = _read(workspace, storage_dir, lambda r: reliability_report(r, days))
        try:
            usage.budget = ledger_budget(storage_dir, settings_file)
        except KeelError as error:
            fail(error)
        if as_json:
            typer.echo(json.dumps(usage.wire(), indent=2))
            return
        _print_report(usage)


def _days(value: int) -> int:
    if not 1 <= value <= 3650:
        raise typer.BadParameter(f"must be between 1 and 3650, got {value}.")
    return value


def _rate(value: float, denominator: int) -> str:
    """A share, or "–" when nothing was counted (0 of 0 is not 0 %)."""
    return f"{value:.1%}" if denominator else "–"


def _print_report(usage: UsageReport) -> None:
    from .reliability_view import print_alerts, print_metrics, print_warnings

    console = Console()
    print_alerts(usage, console)
    summary = Table(title=f"keel report: last {usage.days} days")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    mttr = usage.mean_time_to_recovery_ms
    calls = sum(p.calls for p in usage.by_provider)
    rows = [
        ("runs", str(usage.runs)), ("succeeded", str(usage.succeeded)),
        ("partial", str(usage.partial)),
        ("failed", str(usage.failed)), ("cancelled", str(usage.cancelled)),
        ("timed out", str(usage.timed_out)),
        ("interrupted", str(usage.interrupted)), ("running", str(usage.running)),
        ("success rate", _rate(usage.success_rate, usage.runs)),
        ("timeout rate", _rate(usage.timeout_rate, usage.runs)),
        ("fallback rate", _rate(usage.fallback_rate, calls)),
        ("retry amplification", f"{usage.retry_amplification:.2f}x" if calls else "–"),
        ("mean time to recovery", "–" if mttr is None else f"{mttr} ms"),
        ("actual", f"${usage.actual_usd:.4f}"), ("premium baseline", f"${usage.baseline_usd:.4f}"),
        ("savings", f"${usage.savings_usd:.4f}"), ("dropped events", str(usage.dropped_events)),
    ]
    if usage.estimator and usage.estimator.samples:
        rows.append(("estimate error (mean abs)",
                     f"{usage.estimator.mean_abs_pct_error:.1f}% over "
                     f"{usage.estimator.samples} stages"))
    if usage.budget is not None:
        from .budget import budget_rows

        rows += budget_rows(usage.budget)
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    print_metrics(usage, console)
    # "none" stands for stages that ran no model: not a provider to report on.
    providers = [e for e in usage.by_provider if e.key != "none"]
    for title, entries in (("by workflow", usage.by_workflow),
                           ("by provider", providers), ("by day", usage.by_day)):
        if entries:
            _print_breakdown(console, title, entries)
    print_warnings(usage, console)


BREAKDOWN = ("key", "runs", "calls", "success", "fallbacks", "attempts", "actual", "savings",
             "MTTR")


def _print_breakdown(console: Console, title: str, entries: list[UsageBreakdown]) -> None:
    rows = []
    for e in entries:
        mttr = "-" if e.mean_time_to_recovery_ms is None else f"{e.mean_time_to_recovery_ms} ms"
        rows.append((e.key, str(e.runs), str(e.calls), _rate(e.success_rate, e.runs or e.calls),
                     str(e.fallbacks), str(e.attempts), f"${e.actual_usd:.4f}",
                     f"${e.savings_usd:.4f}", mttr))
    print_rows(console, title, BREAKDOWN, rows, right=BREAKDOWN[1:])
