"""`keel serve`: the JSON-RPC server over stdio, or TCP on loopback."""

from __future__ import annotations

import argparse


def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="keel serve",
                                     description="Run the Keel server (stdout is the JSON-RPC channel).")
    parser.add_argument("--tcp", action="store_true", help="Listen on TCP (127.0.0.1 only) instead of stdio.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 picks a free one).")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    if not args.tcp:
        from keel.lsp.early import serve_stdio_fast

        return serve_stdio_fast(args.log_level)
    from keel.observability.logging import configure_logging

    configure_logging(args.log_level)  # before anything logs: structlog's default is stdout
    from keel.app.bootstrap import create_app
    from keel.lsp.server import serve_tcp

    app_state = create_app()
    return serve_tcp(app_state, args.port)


def register(app) -> None:
    import typer

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def serve(
        tcp: bool = typer.Option(False, "--tcp", help="Listen on TCP (127.0.0.1 only) instead of stdio."),
        port: int = typer.Option(0, "--port", help="TCP port (0 picks a free one)."),
        log_level: str = typer.Option("info", "--log-level", help="debug | info | warning | error"),
    ) -> None:
        """Run the Keel server (stdio by default; stdout is the JSON-RPC channel)."""
        argv = (["--tcp"] if tcp else []) + ["--port", str(port), "--log-level", log_level]
        raise typer.Exit(serve_main(argv))
