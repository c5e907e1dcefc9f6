"""`keel workflows` and `keel run WORKFLOW TARGET`: workflow runs from a terminal, in-process.

`keel run` drives the same run manager as the server, shows each stage live,
prints the report as markdown (or the RunResult as JSON with --json) and exits
by outcome:

| status     | exit code |
|------------|-----------|
| succeeded  | 0 |
| partial    | 0, with a warning on stderr (the static report is usable; the
|            |   degraded reasons say what is missing) |
| failed     | by the error's type (keel.errors.EXIT_CODES), else 1 |
| timedOut   | 5 (timeout) |
| cancelled  | 130 (Ctrl-C cancels the run cleanly: it ends `cancelled`) |
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.table import Table

from keel.app.ports import NullNotifier
from keel.app.run_ops import list_workflows_op, run_manager, run_workflow
from keel.app.state import KeelApp
from keel.errors import EXIT_CODES, EXIT_FAILED, KeelError, exit_code_for
from keel.protocol.workflows import ListWorkflowsParams, RunResult, RunWorkflowParams
from keel.workflows.runs import new_run_id

# Tests install fakes (providers, workers) here; called with the app before the run.
APP_SETUP: list[Callable[[KeelApp], None]] = []
STATUS_EXIT = {"succeeded": 0, "partial": 0, "timedOut": EXIT_CODES["timeout"],
               "cancelled": EXIT_CODES["cancelled"]}


class _LiveNotifier(NullNotifier):
    """Turns keel/runEvent notifications into a per-stage table."""

    def __init__(self, stage_ids: list[str], live: Live | None) -> None:
        self.rows = {sid: ("pending", "") for sid in stage_ids}
        self.live = live

    def notify(self, method: str, payload: dict) -> None:
        stage = payload.get("stage")
        kind = payload.get("kind")
        if stage in self.rows:
            if kind == "stageStarted":
                self.rows[stage] = ("running", "")
            elif kind == "stageFinished":
                self.rows[stage] = ((payload.get("message") or "").split(":")[0],
                                    payload.get("provider") or "")
            elif kind in ("retrying", "fallback"):
                self.rows[stage] = (kind, f"{payload.get('provider')}: {payload.get('message')}")
        if self.live is not None:
            self.live.update(self.table())

    def table(self) -> Table:
        table = Table(show_header=True)
        for column in ("stage", "status", "detail"):
            table.add_column(column)
        for sid, (status, detail) in self.rows.items():
            table.add_row(sid, status, detail)
        return table


def _settings_raw(path: Path | None) -> tuple[object, str]:
    if path is None:
        return None, "defaults"
    try:
        return json.loads(path.read_text(encoding="utf-8")), path.name
    except (OSError, ValueError) as exc:
        typer.echo(f"warning: {path.name}: cannot be read ({exc}); using defaults", err=True)
        return None, "defaults"


async def _run(app: KeelApp, params: RunWorkflowParams) -> RunResult:
    from keel.app.history_ops import close_storage, start_storage

    for setup in APP_SETUP:
        setup(app)
    if "recorder" not in app.extensions:
        start_storage(app)  # CLI runs belong in the workspace's history too
    manager = run_manager(app)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()

    async def cancel() -> None:
        try:
            await manager.cancel(params.run_id or "")
        except KeelError:
            pass  # not started yet or already over: nothing to cancel

    def on_sigint() -> None:
        task = asyncio.ensure_future(cancel())
        pending.add(task)
        task.add_done_callback(pending.discard)

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        return await run_workflow(app, params)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await close_storage(app)


def _exit_code(result: RunResult) -> int:
    if result.status in STATUS_EXIT:
        return STATUS_EXIT[result.status]
    if result.error is not None:
        return EXIT_CODES.get(result.error.error_type, EXIT_FAILED)
    return EXIT_FAILED


def register(app: typer.Typer) -> None:
    @app.command("workflows")
    def workflows(
        workspace: Path = typer.Option(Path("."), "--workspace", "-w", help="Workspace folder."),
    ) -> None:
        """List the workflows (built-in and the workspace's .keel/workflows.toml)."""
        kapp = KeelApp(workspace_folders=[workspace.resolve()])
        try:
            result = asyncio.run(list_workflows_op(kapp, ListWorkflowsParams()))
        except KeelError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(exit_code_for(exc)) from None
        table = Table(title="Keel workflows")
        for column in ("id", "profile", "stages", "description"):
            table.add_column(column, overflow="fold")
        for wf in result.workflows:
            stages = ", ".join(f"{s.id}" + (f" ({s.tier})" if s.tier else "") for s in wf.stages)
            table.add_row(wf.id, wf.profile, stages, wf.description)
        Console(width=max(120, Console().width)).print(table)

    @app.command("run")
    def run(
        workflow: str = typer.Argument(..., help="Workflow id, e.g. review."),
        target: str = typer.Argument(..., help="File or folder, relative to the workspace."),
        as_json: bool = typer.Option(False, "--json", help="Print the RunResult as JSON."),
        timeout_ms: int | None = typer.Option(None, "--timeout-ms", min=1,
                                              help="Stop the run after this many ms."),
        workspace: Path = typer.Option(Path("."), "--workspace", "-w", help="Workspace folder."),
        settings_file: Path | None = typer.Option(None, "--settings",
                                                  help="Settings JSON (as in initializationOptions)."),
    ) -> None:
        """Run WORKFLOW on TARGET in this process; Ctrl-C cancels the run."""
        console = Console(stderr=as_json)
        kapp = KeelApp(workspace_folders=[workspace.resolve()])
        raw, source = _settings_raw(settings_file)
        kapp.apply_settings(raw, source)
        params = RunWorkflowParams(workflow=workflow, target=target, run_id=new_run_id(),
                                   timeout_ms=timeout_ms)
        try:
            from keel.workflows.definitions import get_workflow

            stage_ids = [s.id for s in get_workflow(workflow, workspace.resolve()).stages]
        except KeelError:
            stage_ids = []
        try:
            if as_json:
                kapp.notifier = _LiveNotifier(stage_ids, None)
                result = asyncio.run(_run(kapp, params))
            else:
                notifier = _LiveNotifier(stage_ids, None)
                with Live(notifier.table(), console=console, transient=True) as live:
                    notifier.live = live
                    kapp.notifier = notifier
                    result = asyncio.run(_run(kapp, params))
                console.print(notifier.table())
        except KeelError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(exit_code_for(exc)) from None
        finally:
            kapp.close()
        if as_json:
            typer.echo(json.dumps(result.wire(), indent=2))
        else:
            console.print(Markdown(result.report.markdown))
        if result.status == "partial":
            typer.echo("warning: the run is partial: " + "; ".join(result.degraded), err=True)
        raise typer.Exit(_exit_code(result))
