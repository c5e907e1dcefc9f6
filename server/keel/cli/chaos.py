"""`keel chaos serve`: run the fault-injecting fake provider until Ctrl-C.

A separate process from `keel serve`, so it prints its URL to stdout (scripts
read the port from there) and logs to stderr through Keel's one logging setup
(``-v`` adds a line per request). Binds 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from typing import TYPE_CHECKING

import typer

from .common import at_least, show_logs
from .help import KeelCommand, KeelGroup

if TYPE_CHECKING:  # imported when the command runs: `keel --help` stays fast
    from keel.chaos.schedule import Schedule

chaos_app = typer.Typer(help="A fake provider that injects faults (resilience drills).",
                        cls=KeelGroup, no_args_is_help=True)


@chaos_app.callback()
def _chaos() -> None:
    """A fake provider that injects faults, for tests and resilience drills."""


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise typer.BadParameter(f"must be a port number from 0 to 65535, got {value}.")
    return value


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"must be a share from 0 to 1, got {value}.")
    return value


@chaos_app.command("serve", cls=KeelCommand)
def serve(
    port: int = typer.Option(0, "--port", metavar="PORT", callback=_port,
                             help="Port on 127.0.0.1, 0 to 65535 (0: any free port)."),
    seed: int = typer.Option(0, "--seed", metavar="N",
                             help="Seed of the fault draw: same seed, same faults."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", metavar="SHARE", callback=_share,
                                    help="Share of requests that get a fault, 0 to 1."),
    kinds: str = typer.Option("429,500,529", "--kinds", metavar="LIST",
                              help="Faults drawn when failing: ok, latency, 429, 500, 503, 529, "
                                   "hang, reset, malformed, trickle, quota, 401."),
    schedule: str = typer.Option("", "--schedule", metavar="LIST",
                                 help="A fixed script of outcomes, e.g. 'ok,429,hang' (overrides "
                                      "--fail-rate); played once, then ok, unless --loop."),
    loop: bool = typer.Option(False, "--loop", help="Repeat --schedule forever."),
    latency_ms: int = typer.Option(200, "--latency-ms", metavar="MS", callback=at_least(0),
                                   help="Delay of a 'latency' fault."),
    base_latency_ms: int = typer.Option(0, "--base-latency-ms", metavar="MS", callback=at_least(0),
                                        help="Delay added before every answer."),
    retry_after_s: int = typer.Option(2, "--retry-after-s", metavar="S", callback=at_least(0),
                                      help="retry-after header of a 429."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve Anthropic /v1/messages and OpenAI /v1/chat/completions with injected faults."""
    from keel.chaos.schedule import Schedule, parse_faults

    try:
        faults = parse_faults(kinds)
        if schedule:
            faulty = Schedule.scripted(parse_faults(schedule), loop=loop)
        elif fail_rate:
            faulty = Schedule.failing(fail_rate, faults)
        else:
            faulty = Schedule()
        plan = dataclasses.replace(faulty, seed=seed, latency_ms=latency_ms,
                                   base_latency_ms=base_latency_ms, retry_after_s=retry_after_s)
    except ValueError as exc:
        typer.echo(f"keel chaos: {exc}", err=True)
        raise typer.Exit(2) from None
    from keel.observability.logging import configure_logging

    configure_logging("info", to_file=False)  # a no-op under `keel`; `python -m keel.chaos` needs it
    show_logs(True, "debug" if verbose else "info")
    try:
        asyncio.run(_serve(plan, port))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        typer.echo(f"keel chaos: cannot listen on 127.0.0.1:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None


async def _serve(plan: Schedule, port: int) -> None:
    from keel.chaos.server import ChaosServer

    server = ChaosServer(plan, port=port)
    bound = await server.start()
    typer.echo(f"http://127.0.0.1:{bound}")  # the one line a drill script reads
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows' event loops have none: there Ctrl-C ends asyncio.run, which cancels this.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        counts = ", ".join(f"{k}={v}" for k, v in sorted(server.counts.items())) or "none"
        typer.echo(f"keel chaos: stopped after {server.requests_total} requests ({counts})", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(chaos_app, name="chaos")
