"""The operation table: wire method → application operation.

Operations are imported on first use: the server must answer ``initialize``
fast, and most features (libcst, SQLite, provider SDK glue) are not needed
until a request asks for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

Operation = Callable[[Any, Any], Awaitable[Any]]


def _lazy(module: str, name: str) -> Operation:
    resolved: list[Operation] = []

    async def operation(app: Any, params: Any) -> Any:
        if not resolved:
            resolved.append(getattr(importlib.import_module(f"keel.app.{module}"), name))
        return await resolved[0](app, params)

    operation.__qualname__ = f"{module}.{name}"
    return operation


OPS: dict[str, Operation] = {
    "keel/health": _lazy("health_ops", "health"),
    "keel/preflight": _lazy("health_ops", "preflight"),
    "keel/listWorkflows": _lazy("run_ops", "list_workflows_op"),
    "keel/runWorkflow": _lazy("run_ops", "run_workflow"),
    "keel/cancelRun": _lazy("run_ops", "cancel_run"),
    "keel/analyze": _lazy("advisor_ops", "analyze"),
    "keel/generateFix": _lazy("advisor_ops", "generate_fix"),
    "keel/estimateCost": _lazy("cost_ops", "estimate"),
    "keel/runs": _lazy("history_ops", "runs"),
    "keel/report": _lazy("reliability_ops", "report"),
    "keel/validateModels": _lazy("models_ops", "validate_models_op"),
}


def register_op(method: str, op: Operation) -> None:
    OPS[method] = op
