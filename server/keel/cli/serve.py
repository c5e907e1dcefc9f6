"""`keel serve`: the JSON-RPC server over stdio, or TCP on loopback."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        tcp: bool = typer.Option(False, "--tcp", help="Listen on TCP (127.0.0.1 only) instead of stdio."),
        port: int = typer.Option(0, "--port", help="TCP port (0 picks a free one)."),
        log_level: str = typer.Option("info", "--log-level", help="debug | info | warning | error"),
    ) -> None:
        """Run the Keel server (stdio by default; stdout is the JSON-RPC channel)."""
        from keel.observability.logging import configure_logging

        configure_logging(log_level)  # before anything logs: structlog's default is stdout
        from keel.app.bootstrap import create_app
        from keel.lsp.server import serve_stdio, serve_tcp

        app_state = create_app()
        code = serve_tcp(app_state, port) if tcp else serve_stdio(app_state)
        raise typer.Exit(code)
