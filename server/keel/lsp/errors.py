"""The boundary of keel.errors → JSON-RPC errors (one place).

Whatever an error quotes from the client's input is capped here: a 50 MB uri
must not come back as a 50 MB message. Messages keep their first
``MAX_MESSAGE_CHARS`` characters, every string in ``data`` its first
``MAX_DATA_STRING_CHARS``, with an ellipsis saying how much was cut.

Free of pygls and lsprotocol (``lsprotocol.types`` alone is ~40 % of the server's
loading): the fast start answers requests through ``dispatch`` before they have
loaded, with the same error objects (``error_object``, ``cancelled_object``); the
loaded server wraps the same dicts in lsprotocol's ``ResponseError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from keel.errors import JSONRPC_REQUEST_CANCELLED, KeelError, jsonrpc_code
from keel.protocol.base import ErrorData

if TYPE_CHECKING:
    from lsprotocol.types import ResponseError

MAX_MESSAGE_CHARS = 1000
MAX_DATA_STRING_CHARS = 500
MAX_QUOTE_CHARS = 120


class DispatchError(Exception):
    """A KeelError together with the request it failed, for the protocol to answer."""

    def __init__(self, error: KeelError, request_id: Any) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def quote(value: Any, limit: int = MAX_QUOTE_CHARS) -> str:
    """``value`` as a short repr for a message or a log line."""
    return cap(repr(value) if not isinstance(value, str) else repr(value[:limit + 1]), limit + 2)


def capped(value: Any, limit: int = MAX_DATA_STRING_CHARS, depth: int = 0) -> Any:
    if isinstance(value, str):
        return cap(value, limit)
    if depth > 20:
        return "…"
    if isinstance(value, dict):
        return {cap(str(k), limit): capped(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [capped(v, limit, depth + 1) for v in value]
    return value


def error_object(error: KeelError, request_id: Any = None) -> dict[str, Any]:
    """The JSON-RPC ``error`` member for ``error`` (wire shape)."""
    return {"code": jsonrpc_code(error), "message": cap(error.message, MAX_MESSAGE_CHARS),
            "data": capped(error.to_error_data(request_id))}


def cancelled_object(request_id: Any) -> dict[str, Any]:
    """The JSON-RPC ``error`` member of a request cancelled by the client (-32800)."""
    data = ErrorData(error_type="cancelled", transient=False, code="request.cancelled",
                     request_id=request_id if isinstance(request_id, str | int) else None)
    return {"code": JSONRPC_REQUEST_CANCELLED, "message": "The request was cancelled by the client.",
            "data": data.wire()}


def response_error(error: KeelError, request_id: Any = None) -> ResponseError:
    from lsprotocol.types import ResponseError

    return ResponseError(**error_object(error, request_id))


def cancelled_error(request_id: Any) -> ResponseError:
    from lsprotocol.types import ResponseError

    return ResponseError(**cancelled_object(request_id))


def plain_error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": cap(message, MAX_MESSAGE_CHARS)}
