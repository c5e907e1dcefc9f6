"""`keel chaos serve`: run the fault-injecting fake provider until Ctrl-C.

A separate process from `keel serve`, so it prints its URL to stdout (scripts
read the port from there) and logs to stderr. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import typer

chaos_app = typer.Typer(help="A fake provider that injects faults (resilience drills).",
                        no_args_is_help=True)


@chaos_app.callback()
def _chaos() -> None:
    """A fake provider that injects faults, for tests and resilience drills."""


@chaos_app.command("serve")
def serve(
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fault draw: same seed, same faults."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", min=0.0, max=1.0,
                                    help="Share of requests that get a fault."),
    kinds: str = typer.Option("429,500,529", "--kinds",
                              help="Faults drawn when failing: ok, latency, 429, 500, 503, 529, "
                                   "hang, reset, malformed, trickle, quota, 401."),
    schedule: str = typer.Option("", "--schedule",
                                 help="A fixed script of outcomes, e.g. 'ok,429,hang' (overrides "
                                      "--fail-rate); played once, then ok, unless --loop."),
    loop: bool = typer.Option(False, "--loop", help="Repeat --schedule forever."),
    latency_ms: int = typer.Option(200, "--latency-ms", min=0, help="Delay of a 'latency' fault."),
    base_latency_ms: int = typer.Option(0, "--base-latency-ms", min=0,
                                        help="Delay added before every answer."),
    retry_after_s: int = typer.Option(2, "--retry-after-s", min=0,
                                      help="retry-after header of a 429."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve Anthropic /v1/messages and OpenAI /v1/chat/completions with injected faults."""
    from keel.chaos.schedule import Schedule, parse_faults

    common = {"seed": seed, "latency_ms": latency_ms, "base_latency_ms": base_latency_ms,
              "retry_after_s": retry_after_s}
    try:
        faults = parse_faults(kinds)
        if schedule:
            plan = Schedule.scripted(parse_faults(schedule), loop=loop, **common)
        elif fail_rate:
            plan = Schedule.failing(fail_rate, faults, **common)
        else:
            plan = Schedule(**common)
    except ValueError as exc:
        typer.echo(f"keel chaos: {exc}", err=True)
        raise typer.Exit(2) from None
    # Configured here, not at import: this process is the chaos server, nothing else.
    _log_to_stderr(verbose)
    try:
        asyncio.run(_serve(plan, port))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        typer.echo(f"keel chaos: cannot listen on 127.0.0.1:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None


async def _serve(plan: object, port: int) -> None:
    from keel.chaos.server import ChaosServer

    server = ChaosServer(plan, port=port)  # type: ignore[arg-type]
    bound = await server.start()
    typer.echo(f"http://127.0.0.1:{bound}")  # the one line a drill script reads
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        counts = ", ".join(f"{k}={v}" for k, v in sorted(server.counts.items())) or "none"
        typer.echo(f"keel chaos: stopped after {server.requests_total} requests ({counts})", err=True)


def _log_to_stderr(verbose: bool) -> None:
    import structlog

    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbose else logging.INFO),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(chaos_app, name="chaos")
