"""The one dispatch path of every keel/* request.

validate raw params (pydantic) → run the operation under its deadline and in
the in-flight registry → dump the result by alias → map errors. Cancellation
propagates untouched (pygls answers -32800 for a cancelled task).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

from keel.app.ops import OPS
from keel.app.request_counts import count_request
from keel.app.state import KeelApp
from keel.errors import InternalError, InvalidInput, KeelError
from keel.observability.logging import bind_request
from keel.observability.otel import NULL_TELEMETRY
from keel.observability.paths import PathScrubber
from keel.protocol.methods import METHODS
from keel.runtime.deadline import deadline_scope
from keel.settings import describe_validation_error, effective_deadline_ms

log = structlog.get_logger(__name__)


def wire_safe(app: KeelApp, payload: Any) -> Any:
    """Invariant: no absolute path outside the workspace leaves the process."""
    return PathScrubber(app.workspace_folders).value(payload)


class DispatchError(Exception):
    """A KeelError together with the request it failed, for the protocol to answer."""

    def __init__(self, error: KeelError, request_id: Any) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


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
            details={"field": field},
        ) from None


async def dispatch(app: KeelApp, method: str, raw_params: Any, request_id: Any) -> Any:
    bind_request(request_id, method)
    started = time.perf_counter()
    outcome, error_type = "error", "internal"
    try:
        result = await _dispatch(app, method, raw_params, request_id)
        outcome, error_type = "ok", None
        return result
    except DispatchError as failure:
        error_type = failure.error.error_type
        raise
    except asyncio.CancelledError:
        outcome, error_type = "cancelled", None
        raise
    finally:
        app.extensions.get("telemetry", NULL_TELEMETRY).request(  # type: ignore[union-attr]
            method, (time.perf_counter() - started) * 1000, outcome, error_type)
        count_request(app, method, outcome)


async def _dispatch(app: KeelApp, method: str, raw_params: Any, request_id: Any) -> Any:
    try:
        params = validate_params(method, raw_params)
        op = OPS.get(method)
        if op is None:
            from keel.errors import Unavailable

            raise Unavailable(f"{method} is not available in this build of Keel.",
                              code="method.unavailable", transient=False)
        deadline = effective_deadline_ms(app.settings, method, getattr(params, "timeout_ms", None))
        with app.registry.track(request_id, method):
            async with deadline_scope(deadline, method):
                result = await op(app, params)
        return wire_safe(app, result.model_dump(mode="json", by_alias=True, exclude_none=True))
    except KeelError as exc:
        log.info("request failed", error_type=exc.error_type, code=exc.code)
        scrub = PathScrubber(app.workspace_folders)
        exc.message = scrub.text(exc.message)
        exc.hint = scrub.text(exc.hint) if exc.hint else exc.hint
        exc.details = scrub.value(exc.details)
        raise DispatchError(exc, request_id) from None
    except Exception:
        log.exception("unexpected error")
        raise DispatchError(
            InternalError("Keel hit an unexpected error; details are in the Keel log.",
                          hint="Run `keel doctor`; report the log excerpt if it persists."),
            request_id,
        ) from None
