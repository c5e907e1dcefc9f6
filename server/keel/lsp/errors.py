"""The boundary of keel.errors → JSON-RPC errors (one place)."""

from __future__ import annotations

from typing import Any

from lsprotocol.types import ResponseError

from keel.errors import JSONRPC_REQUEST_CANCELLED, KeelError, jsonrpc_code


def response_error(error: KeelError, request_id: Any = None) -> ResponseError:
    return ResponseError(code=jsonrpc_code(error), message=error.message,
                         data=error.to_error_data(request_id))


def cancelled_error(request_id: Any) -> ResponseError:
    return ResponseError(
        code=JSONRPC_REQUEST_CANCELLED,
        message="The request was cancelled by the client.",
        data={"errorType": "cancelled", "transient": False, "code": "request.cancelled",
              "requestId": request_id},
    )


def plain_error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}
