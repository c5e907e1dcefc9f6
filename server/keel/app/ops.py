"""The operation table: wire method → application operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from . import health_ops

Operation = Callable[[Any, Any], Awaitable[Any]]

OPS: dict[str, Operation] = {
    "keel/health": health_ops.health,
    "keel/preflight": health_ops.preflight,
}


def register_op(method: str, op: Operation) -> None:
    OPS[method] = op
