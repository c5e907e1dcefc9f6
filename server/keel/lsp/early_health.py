"""``keel/health`` while the server is still loading (no pygls, no pydantic: part of the fast start).

The editor asks for ``keel/health`` as soon as ``initialize`` is answered, and
shows "not responding" when an answer takes over 5 s: a start that loads
slowly (a busy machine, a cold disk, a virus scanner reading every import)
must not look like a hung server. So the fast start answers a
``keel/health`` that asks for it (``{"whileStarting": true}``: the
extension's health watch does) at once, with a truthful report in the
``HealthReport`` shape: ``starting`` true, level ``degraded``, the core
components "not checked yet", the keel/* requests waiting in ``inFlight``. Without the
flag a health request waits for the loaded server, as any request does: a
client that reads health as "the server is up" keeps getting the real state.

The request is still handed to the loaded server, and its reply (the real
report, built once ``initialize`` has been applied) reaches the client as a
``keel/healthChanged`` notification: the level did change from the client's
point of view, and its status shows the real state at once rather than at its
next poll. The session records the ids answered here
(``Session.answered_health``) and ``KeelProtocol.take_over`` does that when
the reply is made; a reply to a later early-answered request, or an error
reply, is dropped (each was answered).

A ``keel/health`` without the flag that is still held when ``ANSWER_AT`` of
its deadline has passed (``configured_health_ms``, counted from receipt) gets
the same "starting" report then, not the -32803 the loaded server would give
it: a slow start (a loaded machine) must not read as a failed request
(``early_deadlines.py`` watches it). One with params the server refuses is
left to the server's -32602.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from keel import __version__
from keel.health.components import CORE_COMPONENTS

from .method_names import HEALTH

HEALTH_DEADLINE_MS = 5_000  # keel/health's default deadline (a contract test checks the method table)
_DAY_MS = 86_400_000  # the settings' bound on a deadline
ANSWER_AT = 0.8  # of the deadline: answered while the client still waits, whatever its own clock
STARTED_AT = time.monotonic()
STARTED_ISO = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def asks_while_starting(method: str, msg_id: Any, params: Any) -> bool:
    """A ``keel/health`` request that takes a "starting" report (and nothing the server would refuse)."""
    return method == HEALTH and msg_id is not None and params == {"whileStarting": True}


def configured_health_ms(initialize_params: Any) -> int:
    """``timeouts.healthMs`` from ``initialize``'s settings when it is a usable one, else the default."""
    value: Any = initialize_params
    for key in ("initializationOptions", "settings", "timeouts", "healthMs"):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _DAY_MS:
        return value
    return HEALTH_DEADLINE_MS  # what the server falls back to for a missing or invalid one


def starting_report(waiting: dict[str, int], now: float | None = None) -> dict[str, Any]:
    """The ``HealthReport`` (wire shape) of a server that is still loading."""
    loading_ms = int(((time.monotonic() if now is None else now) - STARTED_AT) * 1000)
    detail = "not checked yet: Keel is starting"
    return {
        "level": "degraded",
        "summary": (f"Keel is starting (loading for {loading_ms} ms); "
                    "requests are answered once it has loaded."),
        "seq": 0,
        "version": __version__,
        "uptimeMs": loading_ms,
        "inFlight": {"total": sum(waiting.values()), "byMethod": dict(waiting)},
        "components": [{"name": name, "status": "degraded", "detail": detail, "since": STARTED_ISO}
                       for name in CORE_COMPONENTS],
        "starting": True,
    }


def health_reply(msg_id: Any, waiting: dict[str, int]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "result": starting_report(waiting)}
