"""The warm-up after ``initialized``: the first click costs what the tenth costs.

Everything the first request of each kind would otherwise pay for is done
here, in the background, one step at a time and never on the event loop:

- the operation modules (``app/ops.py`` imports them lazily so that
  ``initialize`` is answered fast) and the fix engine (libcst), in a thread;
- the wire models' validators (``defer_build``), built in a thread;
- the configured providers' HTTP clients (httpx import, TLS context);
- the history database (opened by ``start_storage``; the reader is primed here);
- the worker processes (``WorkerPool.warm_up``, started by the server beside this).

Each step runs on a thread and is small, so ``keel/health`` keeps answering
(``bench/first_click.py`` measures it). A step that fails is logged and
skipped: warming is an optimisation, never a reason to fail.

Each step waits until no request is in flight (at most ``YIELD_MAX_S``): the
requests that arrived while the server loaded (the file the editor restored,
its estimate) are served first, not slowed by imports and validator builds
that hold the GIL on the warm-up's thread. A long run in flight delays each
step by ``YIELD_MAX_S`` at most.
"""

from __future__ import annotations

import asyncio
import importlib
import time

import structlog

from keel.runtime.threads import in_thread

from .services import history_reader, provider_lease
from .state import KeelApp

log = structlog.get_logger(__name__)

YIELD_POLL_S = 0.02
YIELD_MAX_S = 2.0

WARM_MODULES = (
    "keel.app.run_ops", "keel.app.advisor_ops", "keel.app.cost_ops", "keel.app.history_ops",
    "keel.app.health_ops", "keel.app.llm_fix", "keel.advisor.fixes",
)


def _import(name: str) -> None:
    importlib.import_module(name)


def _build_validators() -> None:
    from keel.protocol.methods import METHODS

    for spec in METHODS.values():
        for model in (spec.params, spec.result):
            if model is not None:
                model.model_rebuild(force=True)


async def warm_up(app: KeelApp) -> None:
    try:
        await _warm_up(app)
    except Exception:  # a bug here must not surface as a stray task error
        log.warning("warm-up failed", exc_info=True)


async def _warm_up(app: KeelApp) -> None:
    started = time.perf_counter()
    for name in WARM_MODULES:
        await _step(app, f"import {name}", _import, name)
    await _step(app, "validators", _build_validators)
    await yield_to_requests(app)
    await _warm_providers(app)
    await _step(app, "history reader", lambda: history_reader(app).list_runs(1, None))
    log.info("warm-up done", ms=round((time.perf_counter() - started) * 1000))


async def yield_to_requests(app: KeelApp) -> None:
    """Return once no request is in flight, or after ``YIELD_MAX_S``."""
    waited = 0.0
    # Polled: the registry has no wake-up, and a tick every 20 ms costs nothing beside a step.
    while app.registry.snapshot().total and waited < YIELD_MAX_S:
        await asyncio.sleep(YIELD_POLL_S)
        waited += YIELD_POLL_S


async def _step(app: KeelApp, what: str, fn, *args) -> None:
    await yield_to_requests(app)
    try:
        await in_thread(fn, *args)
    except Exception as exc:  # noqa: BLE001  warming is best effort: the real request reports it
        log.info("warm-up step skipped", step=what, reason=type(exc).__name__)


async def _warm_providers(app: KeelApp) -> None:
    lease = provider_lease(app)
    for provider in lease.providers.providers:
        warm = getattr(provider, "warm", None)
        if warm is None:
            continue
        try:
            await warm()
        except Exception as exc:  # noqa: BLE001  e.g. no key: the run reports it, with its fix
            log.info("provider warm-up skipped", provider=provider.id,
                     reason=type(exc).__name__)
