"""`keel workflows` and `keel run WORKFLOW TARGET`: workflow runs from a terminal, in-process.

`keel run` drives the same run manager as the server, shows each stage live,
prints the report as markdown (or the RunResult as JSON with --json) and exits
by outcome:

| status     | exit code |
|------------|-----------|
| succeeded  | 0 |
| partial    | 0 with a warning on stderr when a stage was skipped (e.g. no provider
|            |   configured); the code of the stage's error (4 provider, 3 config,
|            |   5 timeout, ...) when a stage failed; with --strict never 0 |
| failed     | by the error's type (keel.errors.EXIT_CODES), else 1 |
| timedOut   | 5 (timeout) |
| cancelled  | 130 (Ctrl-C cancels the run cleanly: it ends `cancelled`) |
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.table import Table

from keel.app.ports import NullNotifier
from keel.app.run_ops import run_workflow
from keel.app.services import run_manager
from keel.app.state import KeelApp
from keel.errors import EXIT_CODES, EXIT_FAILED, BudgetExceeded, KeelError
from keel.protocol.workflows import RunResult, RunWorkflowParams
from keel.workflows.runs import RunManager, new_run_id

from .budget import confirm_over_budget
from .common import (
    SETTINGS,
    VERBOSE,
    WORKSPACE,
    apply_settings_file,
    at_least,
    fail,
    show_logs,
    with_target_context,
)
from .help import KeelCommand
from .interrupt import RunInterrupts, for_this_run

log = structlog.get_logger(__name__)

STATUS_EXIT = {"succeeded": 0, "timedOut": EXIT_CODES["timeout"],
               "cancelled": EXIT_CODES["cancelled"]}


class _LiveNotifier(NullNotifier):
    """Turns keel/runEvent notifications into a per-stage table (and log lines for -v)."""

    def __init__(self, stage_ids: list[str]) -> None:
        self.rows = {sid: ("pending", "") for sid in stage_ids}
        self.live: Live | None = None
        self.on_queued: Callable[[], None] = lambda: None

    def notify(self, method: str, payload: dict[str, Any]) -> None:
        stage = payload.get("stage")
        kind = payload.get("kind")
        log.info("run event", kind=kind, stage=stage, message=payload.get("message"))
        if kind == "queued":
            self.on_queued()
        if stage in self.rows:
            if kind == "stageStarted":
                self.rows[stage] = ("running", "")
            elif kind == "stageFinished":
                self.rows[stage] = ((payload.get("message") or "").split(":")[0],
                                    payload.get("provider") or "")
            elif kind in ("retrying", "fallback"):
                self.rows[stage] = (kind, f"{payload.get('provider')}: {payload.get('message')}")
            elif kind == "progress":  # chunk i of n, tokens, cost, time against the deadline
                self.rows[stage] = ("running", (payload.get("message") or "").split(": ", 1)[-1])
        if self.live is not None:
            self.live.update(self.table())

    def show_message(self, level: str, text: str) -> None:
        typer.echo(f"{level}: {text}", err=True)

    def table(self) -> Table:
        table = Table(show_header=True)
        for column in ("stage", "status", "detail"):
            table.add_column(column)
        for sid, (status, detail) in self.rows.items():
            table.add_row(sid, status, detail)
        return table


def build_app(root: Path) -> KeelApp:
    """The app of one `keel run`: the folder the user named is trusted."""
    return KeelApp(workspace_folders=[root], workspace_trusted=True)


async def _run(app: KeelApp, params: RunWorkflowParams, interrupts: RunInterrupts) -> RunResult:
    from keel.app.history_ops import start_storage

    if app.storage is None and app.recorder is None:
        start_storage(app)  # CLI runs belong in the workspace's history too
    manager = run_manager(app)

    async def cancel() -> None:
        try:
            await manager.cancel(params.run_id or "")
        except KeelError:
            pass  # already over: nothing to cancel

    if isinstance(app.notifier, _LiveNotifier):
        app.notifier.on_queued = lambda: interrupts.registered(cancel)
    interrupts.attach(asyncio.get_running_loop())
    try:
        return with_every_finding(manager, await run_workflow(app, params))
    finally:
        interrupts.detach()
        await app.aclose()


def with_every_finding(manager: RunManager, result: RunResult) -> RunResult:
    """The CLI prints every finding (--json included): pages past the answer's first ones
    are read as a client would, with keel/runFindings's pages."""
    if not result.report.truncated:
        return result
    from keel.protocol.workflows import RunFindingsParams

    findings, offset = [], 0
    next_offset: int | None = 0
    while next_offset is not None:
        page = manager.findings_page(RunFindingsParams(run_id=result.run_id, offset=offset,
                                                       limit=2_000))
        findings += page.findings
        next_offset = page.next_offset
        offset = next_offset or 0
    report = result.report.model_copy(update={"findings": findings, "truncated": False})
    return result.model_copy(update={"report": report})


def _first_stage_error(result: RunResult) -> str | None:
    return next((s.error.error_type for s in result.stages if s.error is not None), None)


def exit_code(result: RunResult, strict: bool = False) -> int:
    """The exit code of a finished run (the table in this module's docstring)."""
    if result.status in STATUS_EXIT:
        return STATUS_EXIT[result.status]
    if result.status == "partial":
        error_type = _first_stage_error(result)
        if error_type is not None:
            return EXIT_CODES.get(error_type, EXIT_FAILED)
        return EXIT_CODES["unavailable"] if strict else 0
    if result.error is not None:
        return EXIT_CODES.get(result.error.error_type, EXIT_FAILED)
    return EXIT_FAILED


def outcome_lines(result: RunResult, code: int) -> list[str]:
    """What stderr says after the report: why the run is not a plain success, and the fix."""
    lines: list[str] = []
    if result.status == "partial":
        level = "error" if code else "warning"
        lines.append(f"{level}: the run is partial: " + "; ".join(result.degraded))
    elif result.status == "cancelled":
        lines.append(f"cancelled: run {result.run_id} was stopped and recorded as cancelled.")
    elif result.status in ("failed", "timedOut") and result.error is not None:
        lines.append(f"error: run {result.run_id} {result.status} ({result.error.code}); "
                     "the report above says where.")
    hints = [result.error.hint] if result.error is not None else []
    hints += [s.error.hint for s in result.stages if s.error is not None]
    told = " ".join(lines)
    lines += [f"fix: {hint}" for hint in dict.fromkeys(h for h in hints if h) if hint not in told]
    return lines


def _stage_ids(workflow: str, root: Path) -> list[str]:
    from keel.workflows.definitions import get_workflow

    try:
        return [s.id for s in get_workflow(workflow, root).stages]
    except KeelError:
        return []  # the run itself reports what is wrong


def _execute(kapp: KeelApp, params: RunWorkflowParams, interrupts: RunInterrupts,
             stage_ids: list[str], console: Console, live_table: bool) -> RunResult:
    notifier = _LiveNotifier(stage_ids)
    kapp.notifier = notifier
    if not live_table:
        return asyncio.run(_run(kapp, params, interrupts))
    with Live(notifier.table(), console=console, transient=True) as live:
        notifier.live = live
        result = asyncio.run(_run(kapp, params, interrupts))
    console.print(notifier.table())
    return result


def register(app: typer.Typer) -> None:
    from . import workflows

    workflows.register(app)  # `keel workflows` lists what `keel run` can run

    @app.command("run", cls=KeelCommand)
    def run(
        workflow: str = typer.Argument(..., metavar="WORKFLOW", show_default=False,
                                       help="Workflow id, e.g. review (`keel workflows` lists them)."),
        target: str = typer.Argument(..., metavar="TARGET", show_default=False,
                                     help="File or folder, relative to the workspace."),
        as_json: bool = typer.Option(False, "--json", help="Print the RunResult as JSON."),
        timeout_ms: int | None = typer.Option(None, "--timeout-ms", metavar="MS",
                                              callback=at_least(1),
                                              help="Stop the run after this many milliseconds."),
        strict: bool = typer.Option(False, "--strict",
                                    help="A partial run exits non-zero (6 when a stage was skipped)."),
        yes: bool = typer.Option(False, "--yes", help="Run even if the estimate exceeds a "
                                 "budget (model calls still stop at the budget)."),
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        verbose: bool = VERBOSE,
    ) -> None:
        """Run WORKFLOW on TARGET in this process; Ctrl-C cancels the run.

        Exit code: 0 succeeded (or partial with a skipped stage, unless --strict),
        the error's code when it failed (2 validation, 3 config, 4 provider,
        6 unavailable, 70 internal), 5 timed out, 130 cancelled.
        """
        interrupts = for_this_run()
        show_logs(verbose)
        log.info("keel run: starting", workflow=workflow, target=target)
        console = Console(stderr=as_json)
        root = workspace.resolve()
        kapp = build_app(root)
        try:
            apply_settings_file(kapp, settings_file)
            params = RunWorkflowParams(workflow=workflow, target=target, run_id=new_run_id(),
                                       timeout_ms=timeout_ms, confirm_over_budget=yes)
            try:
                result = _execute(kapp, params, interrupts, _stage_ids(workflow, root), console,
                                  live_table=not as_json)
            except BudgetExceeded as over:  # asked on a terminal; elsewhere exit 6
                if over.code != "budget.exceeded" or not confirm_over_budget(over):
                    raise
                kapp.close()
                kapp = build_app(root)
                apply_settings_file(kapp, settings_file)
                params = params.model_copy(update={"confirm_over_budget": True})
                result = _execute(kapp, params, interrupts, _stage_ids(workflow, root), console,
                                  live_table=not as_json)
        except KeelError as error:
            fail(with_target_context(error, target, root))
        finally:
            kapp.close()
            interrupts.uninstall()
        if as_json:
            typer.echo(json.dumps(result.wire(), indent=2))
        else:
            console.print(Markdown(result.report.markdown))
        code = exit_code(result, strict)
        for line in outcome_lines(result, code):
            typer.echo(line, err=True)
        raise typer.Exit(code)
