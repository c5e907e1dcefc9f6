"""`keel doctor`: preflight in-process, a table with a fix per failing check."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from keel.errors import EXIT_FAILED, EXIT_OK


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        workspace: Path = typer.Option(Path("."), "--workspace", help="Workspace folder."),
        settings_file: Path | None = typer.Option(None, "--settings", help="A JSON settings file."),
        network: bool = typer.Option(False, "--network", help="Also check provider endpoints."),
        as_json: bool = typer.Option(False, "--json", help="Print the PreflightReport as JSON."),
    ) -> None:
        """Check that Keel can run here, and say how to fix what cannot."""
        from rich.console import Console
        from rich.table import Table

        from keel.app.health_ops import preflight_context
        from keel.app.state import KeelApp
        from keel.health.preflight import run_preflight
        from keel.observability.logging import configure_logging

        configure_logging("warning", to_file=False)
        state = KeelApp(workspace_folders=[workspace.resolve()])
        raw = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file else None
        state.apply_settings(raw, str(settings_file) if settings_file else "settings")
        report = asyncio.run(run_preflight(preflight_context(state), network=network))
        if as_json:
            typer.echo(json.dumps(report.wire(), indent=2))
        else:
            table = Table(title="keel doctor")
            for column in ("check", "status", "message", "fix"):
                table.add_column(column)
            style = {"pass": "green", "warn": "yellow", "fail": "bold red"}
            for check in report.checks:
                table.add_row(check.title, f"[{style[check.status]}]{check.status}[/]", check.message,
                              check.fix or "")
            Console().print(table)
            Console().print("[green]ready[/]" if report.ok else "[bold red]not ready[/]: see the fixes above")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
