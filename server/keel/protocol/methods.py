"""The method table: every keel/* request and notification, with its models and deadline.

The one list of methods. ``keel/lsp/method_names.py`` (the bare names, for code that must
not load the models) is generated from it by ``python -m keel.protocol.generate``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel
from pydantic.alias_generators import to_snake

from .advisor import AnalysisResult, AnalyzeParams, FixProposal, GenerateFixParams
from .cost import CostEstimate, EstimateCostParams
from .health import HealthParams, HealthReport, PreflightParams, PreflightReport
from .history import ReportParams, RunsParams, RunsResult, UsageReport
from .reliability import ModelsReport, ValidateModelsParams
from .session import AuthenticateParams
from .workflows import (
    CancelRunParams,
    CancelRunResult,
    ListWorkflowsParams,
    ListWorkflowsResult,
    RunEvent,
    RunFindingsParams,
    RunFindingsResult,
    RunResult,
    RunWorkflowParams,
)

PROTOCOL_VERSION = 1


@dataclass(frozen=True)
class MethodSpec:
    name: str
    kind: Literal["request", "notification"]
    params: type[BaseModel]
    result: type[BaseModel] | None
    deadline_ms: int | None
    # The TimeoutSettings field (snake_case) that overrides the default deadline.
    timeout_setting: str | None = None
    # The feature a request belongs to: the server serves it from ``keel.app.<feature>_ops``.
    feature: str | None = None
    # Who sends it. Requests always go to the server; most notifications come from it.
    direction: Literal["to_server", "to_client"] = "to_server"

    @property
    def snake_name(self) -> str:
        """``keel/estimateCost`` → ``estimate_cost``: its operation's name and its timeout's stem."""
        return to_snake(self.name.removeprefix("keel/"))


def _request(name: str, feature: str, params: type[BaseModel], result: type[BaseModel],
             deadline_ms: int) -> MethodSpec:
    # The TimeoutSettings field: "keel/estimateCost" -> "estimate_cost_ms" (wire: estimateCostMs).
    spec = MethodSpec(name, "request", params, result, deadline_ms, feature=feature)
    return replace(spec, timeout_setting=f"{spec.snake_name}_ms")


REQUESTS: tuple[MethodSpec, ...] = (
    _request("keel/health", "health", HealthParams, HealthReport, 5_000),
    _request("keel/preflight", "health", PreflightParams, PreflightReport, 10_000),
    _request("keel/listWorkflows", "run", ListWorkflowsParams, ListWorkflowsResult, 10_000),
    _request("keel/estimateCost", "cost", EstimateCostParams, CostEstimate, 3_000),
    _request("keel/runWorkflow", "run", RunWorkflowParams, RunResult, 300_000),
    _request("keel/cancelRun", "run", CancelRunParams, CancelRunResult, 5_000),
    _request("keel/analyze", "advisor", AnalyzeParams, AnalysisResult, 120_000),
    _request("keel/generateFix", "advisor", GenerateFixParams, FixProposal, 60_000),
    _request("keel/runs", "history", RunsParams, RunsResult, 5_000),
    _request("keel/report", "reliability", ReportParams, UsageReport, 5_000),
    _request("keel/validateModels", "models", ValidateModelsParams, ModelsReport, 10_000),
    _request("keel/runFindings", "run", RunFindingsParams, RunFindingsResult, 5_000),
)

AUTHENTICATE = "keel/authenticate"

NOTIFICATIONS: tuple[MethodSpec, ...] = (
    MethodSpec("keel/healthChanged", "notification", HealthReport, None, None, direction="to_client"),
    MethodSpec("keel/runEvent", "notification", RunEvent, None, None, direction="to_client"),
    # The first message on a TCP connection (keel.lsp.tcp); on stdio it is accepted and ignored.
    MethodSpec(AUTHENTICATE, "notification", AuthenticateParams, None, None),
)

METHODS: dict[str, MethodSpec] = {m.name: m for m in REQUESTS + NOTIFICATIONS}


def method_names() -> list[str]:
    return [m.name for m in REQUESTS + NOTIFICATIONS]
