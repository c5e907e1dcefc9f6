"""The operation table: wire method → application operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from . import advisor_ops, cost_ops, health_ops, history_ops, run_ops

Operation = Callable[[Any, Any], Awaitable[Any]]

OPS: dict[str, Operation] = {
    "keel/health": health_ops.health,
    "keel/preflight": health_ops.preflight,
    "keel/listWorkflows": run_ops.list_workflows_op,
    "keel/runWorkflow": run_ops.run_workflow,
    "keel/cancelRun": run_ops.cancel_run,
    "keel/analyze": advisor_ops.analyze,
    "keel/generateFix": advisor_ops.generate_fix,
    "keel/estimateCost": cost_ops.estimate,
    "keel/runs": history_ops.runs,
    "keel/report": history_ops.report,
}


def register_op(method: str, op: Operation) -> None:
    OPS[method] = op
