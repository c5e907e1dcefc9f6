"""`keel doctor`: preflight in-process, a table with a fix per failing check."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from keel.errors import EXIT_FAILED, EXIT_OK, KeelError

from .common import SETTINGS, VERBOSE, WORKSPACE, fail, print_checks, read_settings_file, show_logs
from .help import KeelCommand

if TYPE_CHECKING:  # imported when the command runs: `keel --help` stays fast
    from keel.protocol.health import PreflightCheck


def _no_network_check() -> PreflightCheck:
    from keel.protocol.health import PreflightCheck

    return PreflightCheck(id="network", title="Provider endpoints reachable", status="pass",
                          message="no model provider is configured, so there is no endpoint to "
                                  "reach (offline analysis needs no network)",
                          duration_ms=0)


def register(app: typer.Typer) -> None:
    @app.command(cls=KeelCommand)
    def doctor(
        workspace: Path = WORKSPACE,
        settings_file: Path | None = SETTINGS,
        network: bool = typer.Option(False, "--network",
                                     help="Also check that each provider's endpoint answers."),
        as_json: bool = typer.Option(False, "--json", help="Print the PreflightReport as JSON."),
        verbose: bool = VERBOSE,
    ) -> None:
        """Check that Keel can run here, and say how to fix what cannot.

        Exit code 0 when every check passes or warns, 1 when one fails, 3 when
        the --settings file cannot be read.
        """

        from keel.app.health_ops import preflight_context
        from keel.app.state import KeelApp
        from keel.health.preflight import run_preflight

        show_logs(verbose)
        try:
            raw, source = read_settings_file(settings_file)
        except KeelError as error:
            fail(error)
        state = KeelApp(workspace_folders=[workspace.resolve()], workspace_trusted=True)  # the user named it
        try:
            state.apply_settings(raw, source)
            report = asyncio.run(run_preflight(preflight_context(state), network=network))
        finally:
            state.close()
        if network and not any(c.id.startswith("network") for c in report.checks):
            report.checks.append(_no_network_check())
        if as_json:
            typer.echo(json.dumps(report.wire(), indent=2))
        else:
            print_checks("keel doctor", report.checks, report.ok, "ready", "not ready")
        raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
