"""The one dispatch path of every keel/* request, and of the standard features' work.

validate raw params (pydantic) → ``guarded``: admit the request (per-method
limit), run it under its deadline and in the in-flight registry, map errors →
dump the result by alias and scrub it. Cancellation propagates untouched
(``KeelProtocol.answer_handler`` answers -32800 for a cancelled task).

A big result (an analysis's hundreds of findings, a run's report) is dumped, scrubbed and
encoded to JSON on a thread (``encoded=True``, the server's handlers): done on the loop, a
280 KB answer held it for tens of ms per answer (pydantic's dump, the path scrubber, then
pygls's cattrs walk and ``json.dumps``), and ``keel/health`` waited behind it. What the loop
gets is an ``EncodedResult`` the adapter writes as it is. Small results (health itself) stay
on the loop: a thread hop costs more than they do.

The deadline counts from the moment the message was read off the wire
(``RECEIVED_AT``, stamped by the transport), so time spent waiting for the
server to finish starting, or for a method slot, is part of it: the client
measures from when it sent the request, and so do we.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from keel.app.ops import OPS
from keel.app.request_counts import count_request
from keel.app.state import KeelApp
from keel.errors import DeadlineExceeded, InternalError, InvalidInput, KeelError, Unavailable
from keel.observability.logging import bind_request
from keel.observability.otel import NULL_TELEMETRY
from keel.observability.paths import PathScrubber
from keel.protocol.methods import METHODS
from keel.runtime.deadline import deadline_scope
from keel.runtime.threads import in_thread
from keel.settings import describe_validation_error, effective_deadline_ms

from .admission import admission_of
from .encoded import EncodedResult
from .errors import MAX_DATA_STRING_CHARS, MAX_MESSAGE_CHARS, DispatchError, cap, capped
from .framing import RECEIVED_AT

log = structlog.get_logger(__name__)
T = TypeVar("T")
# Results holding more list items than this (findings, stages, runs…) are encoded on a thread.
OFF_LOOP_ITEMS = 64


def wire_safe(app: KeelApp, payload: Any) -> Any:
    """Invariant: no absolute path outside the workspace leaves the process."""
    return PathScrubber(app.workspace_folders).value(payload)


def weight(value: Any, depth: int = 3) -> int:
    """How many list items ``value`` holds, down to ``depth`` levels of models (cheap: no dump)."""
    if isinstance(value, BaseModel):
        if depth == 0:
            return 1
        return sum(weight(v, depth - 1) for v in value.__dict__.values())
    if isinstance(value, list | tuple):
        return len(value) + (sum(weight(v, depth - 1) for v in value[:8]) if depth else 0)
    return 0


def encode_answer(scrubber: PathScrubber, result: BaseModel) -> EncodedResult:
    """The result as the wire has it (by alias, scrubbed) and encoded: run on a thread."""
    payload = scrubber.value(result.model_dump(mode="json", by_alias=True, exclude_none=True))
    return EncodedResult(json.dumps(payload).encode())


async def answer(app: KeelApp, result: BaseModel, encoded: bool) -> Any:
    if encoded and weight(result) > OFF_LOOP_ITEMS:
        return await in_thread(encode_answer, PathScrubber(app.workspace_folders), result)
    return wire_safe(app, result.model_dump(mode="json", by_alias=True, exclude_none=True))


def validate_params(method: str, raw: Any) -> BaseModel:
    spec = METHODS[method]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{method}: params must be an object, got {type(raw).__name__}.",
                           details={"field": "params"})
    try:
        return spec.params.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "params"
        raise InvalidInput(
            f"{method}: invalid params: {describe_validation_error(exc)}.",
            code="params.invalid",
            details={"field": cap(field, MAX_DATA_STRING_CHARS)},
        ) from None


def remaining_ms(deadline_ms: int | None, received_at: float | None,
                 now: Callable[[], float] = time.monotonic) -> int | None:
    """What is left of ``deadline_ms`` counted from ``received_at`` (never negative)."""
    if deadline_ms is None or received_at is None:
        return deadline_ms
    waited_ms = max(0.0, (now() - received_at) * 1000)
    return max(0, round(deadline_ms - waited_ms))


async def guarded(app: KeelApp, method: str, request_id: Any, call: Callable[[], Awaitable[T]],
                  deadline_ms: int | None) -> T:
    """Run ``call`` as request ``request_id`` of ``method``: admitted, bounded, tracked, errors mapped.

    Raises ``DispatchError`` for every failure except cancellation.
    """
    try:
        left = remaining_ms(deadline_ms, RECEIVED_AT.get())
        spec = METHODS.get(method)  # the standard features (diagnostics, code actions) have none
        grace = spec.deadline_answer_grace_ms if spec is not None else None
        if left == 0 and grace is None:
            raise DeadlineExceeded(f"{method} waited past its deadline before it could start",
                                   hint="The server was busy or still starting; try again.")
        with app.registry.track(request_id, method):
            async with deadline_scope(left, method, grace_ms=grace or 0), admission_of(app).slot(method):
                return await call()
    except KeelError as exc:
        raise mapped(app, exc, request_id) from None
    except Exception:
        log.exception("unexpected error")
        raise DispatchError(
            InternalError("Keel hit an unexpected error; details are in the Keel log.",
                          hint="Run `keel doctor`; report the log excerpt if it persists."),
            request_id,
        ) from None


def mapped(app: KeelApp, exc: KeelError, request_id: Any) -> DispatchError:
    log.info("request failed", error_type=exc.error_type, code=exc.code)
    scrub = PathScrubber(app.workspace_folders)
    # Capped before scrubbing: the message may quote a 50 MB input.
    exc.message = scrub.text(cap(exc.message, MAX_MESSAGE_CHARS))
    exc.hint = scrub.text(cap(exc.hint, MAX_MESSAGE_CHARS)) if exc.hint else exc.hint
    exc.details = scrub.value(capped(exc.details))
    return DispatchError(exc, request_id)


async def with_progress_token(app: KeelApp, method: str, params: BaseModel) -> BaseModel:
    if not METHODS[method].server_progress or getattr(params, "work_done_token", "absent") is not None:
        return params
    create = getattr(app.notifier, "create", None)
    token = f"keel-{uuid.uuid4()}"
    if create is None or not await create(token):
        return params
    return params.model_copy(update={"work_done_token": token})


async def dispatch(app: KeelApp, method: str, raw_params: Any, request_id: Any, *,
                   encoded: bool = False) -> Any:
    """The wire result of one request (a dict; with ``encoded``, a big one as ``EncodedResult``)."""
    bind_request(request_id, method)
    started = time.perf_counter()
    outcome: str = "error"
    error_type: str | None = "internal"
    try:
        result = await _dispatch(app, method, raw_params, request_id, encoded)
        outcome, error_type = "ok", None
        return result
    except DispatchError as failure:
        error_type = failure.error.error_type
        raise
    except asyncio.CancelledError:
        outcome, error_type = "cancelled", None
        raise
    finally:
        (app.telemetry or NULL_TELEMETRY).request(
            method, (time.perf_counter() - started) * 1000, outcome, error_type)
        count_request(app, method, outcome)


async def _dispatch(app: KeelApp, method: str, raw_params: Any, request_id: Any,
                    encoded: bool) -> Any:
    try:
        params = validate_params(method, raw_params)
    except KeelError as exc:
        raise mapped(app, exc, request_id) from None
    op = OPS.get(method)

    async def call() -> Any:
        if op is None:
            raise Unavailable(f"{method} is not available in this build of Keel.",
                              code="method.unavailable", transient=False)
        result = await op(app, await with_progress_token(app, method, params))
        return await answer(app, result, encoded)

    deadline = effective_deadline_ms(app.settings, method, getattr(params, "timeout_ms", None))
    return await guarded(app, method, request_id, call, deadline)
