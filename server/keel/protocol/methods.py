"""The method table: every keel/* request and notification, with its models and every trait.

The one list of methods: each spec carries every trait the server treats its method by
(deadline, timeout setting, serving operation, queueing, deadline answered as data, server
progress); no other table names a method. ``keel/lsp/method_names.py`` (the names and the
fast start's traits, for code that must not load the models) and the extension's
``extension/src/lspExt.ts`` are generated from it by ``python -m keel.protocol.generate``.
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

# Every method's name, once. Code outside keel.protocol names a method through these (or the
# generated ``keel.lsp.method_names``), never with a string of its own.
HEALTH = "keel/health"
PREFLIGHT = "keel/preflight"
LIST_WORKFLOWS = "keel/listWorkflows"
ESTIMATE_COST = "keel/estimateCost"
RUN_WORKFLOW = "keel/runWorkflow"
CANCEL_RUN = "keel/cancelRun"
ANALYZE = "keel/analyze"
GENERATE_FIX = "keel/generateFix"
RUNS = "keel/runs"
REPORT = "keel/report"
VALIDATE_MODELS = "keel/validateModels"
RUN_FINDINGS = "keel/runFindings"
HEALTH_CHANGED = "keel/healthChanged"
RUN_EVENT = "keel/runEvent"
AUTHENTICATE = "keel/authenticate"

# The base-protocol methods Keel's own code sends or answers without pygls (the fast start,
# keel.rpc_client); everything else about them is pygls' and lsprotocol's.
INITIALIZE = "initialize"
INITIALIZED = "initialized"
SHUTDOWN = "shutdown"
EXIT = "exit"
CANCEL_REQUEST = "$/cancelRequest"


@dataclass(frozen=True)
class MethodSpec:
    """One method and every trait the server treats it by; no other table names a method."""

    name: str
    kind: Literal["request", "notification"]
    params: type[BaseModel]
    result: type[BaseModel] | None
    deadline_ms: int | None
    # The TimeoutSettings field (snake_case) that overrides the default deadline.
    timeout_setting: str | None = None
    # The coroutine that serves a request, "module:function" (keel.app.ops imports it on
    # first use): ``grep reliability_ops:report`` finds who serves keel/report.
    operation: str | None = None
    # Who sends it. Requests always go to the server; most notifications come from it.
    direction: Literal["to_server", "to_client"] = "to_server"
    # False: never waits for a per-method slot (keel.lsp.admission). keel/health and
    # keel/cancelRun are how a user sees and stops everything else.
    queued: bool = True
    # True: the operation takes its slot itself (keel.runtime.admission), after looking for
    # identical work in flight to join; so admission limits runs, never duplicates.
    admitted_by_operation: bool = False
    # Set when the method answers its own deadline as data (a timedOut RunResult, which only
    # the run manager builds): the request's cancel waits this long past the deadline for that
    # answer, and the fast start never answers such a request's deadline itself.
    deadline_answer_grace_ms: int | None = None
    # Long work that shows progress: without a client workDoneToken the server creates one
    # (window/workDoneProgress/create) when the client can.
    server_progress: bool = False

    @property
    def snake_name(self) -> str:
        """``keel/estimateCost`` → ``estimate_cost``: its timeout setting's stem."""
        return to_snake(self.name.removeprefix("keel/"))

    @property
    def answers_deadline_as_data(self) -> bool:
        return self.deadline_answer_grace_ms is not None


def _request(name: str, operation: str, params: type[BaseModel], result: type[BaseModel],
             deadline_ms: int, *, queued: bool = True, deadline_answer_grace_ms: int | None = None,
             server_progress: bool = False, admitted_by_operation: bool = False) -> MethodSpec:
    spec = MethodSpec(name, "request", params, result, deadline_ms, operation=f"keel.app.{operation}",
                      queued=queued, deadline_answer_grace_ms=deadline_answer_grace_ms,
                      server_progress=server_progress, admitted_by_operation=admitted_by_operation)
    # The TimeoutSettings field: "keel/estimateCost" -> "estimate_cost_ms" (wire: estimateCostMs).
    return replace(spec, timeout_setting=f"{spec.snake_name}_ms")


REQUESTS: tuple[MethodSpec, ...] = (
    _request(HEALTH, "health_ops:health", HealthParams, HealthReport, 5_000, queued=False),
    _request(PREFLIGHT, "health_ops:preflight", PreflightParams, PreflightReport, 10_000),
    _request(LIST_WORKFLOWS, "run_ops:list_workflows", ListWorkflowsParams, ListWorkflowsResult, 10_000),
    _request(ESTIMATE_COST, "cost_ops:estimate_cost", EstimateCostParams, CostEstimate, 3_000),
    _request(RUN_WORKFLOW, "run_ops:run_workflow", RunWorkflowParams, RunResult, 300_000,
             deadline_answer_grace_ms=1000, server_progress=True, admitted_by_operation=True),
    _request(CANCEL_RUN, "run_ops:cancel_run", CancelRunParams, CancelRunResult, 5_000, queued=False),
    _request(ANALYZE, "advisor_ops:analyze", AnalyzeParams, AnalysisResult, 120_000, server_progress=True),
    _request(GENERATE_FIX, "advisor_ops:generate_fix", GenerateFixParams, FixProposal, 60_000),
    _request(RUNS, "history_ops:runs", RunsParams, RunsResult, 5_000),
    _request(REPORT, "reliability_ops:report", ReportParams, UsageReport, 5_000),
    _request(VALIDATE_MODELS, "models_ops:validate_models", ValidateModelsParams, ModelsReport, 10_000),
    _request(RUN_FINDINGS, "run_ops:run_findings", RunFindingsParams, RunFindingsResult, 5_000),
)

NOTIFICATIONS: tuple[MethodSpec, ...] = (
    MethodSpec(HEALTH_CHANGED, "notification", HealthReport, None, None, direction="to_client"),
    MethodSpec(RUN_EVENT, "notification", RunEvent, None, None, direction="to_client"),
    # The first message on a TCP connection (keel.lsp.tcp); on stdio it is accepted and ignored.
    MethodSpec(AUTHENTICATE, "notification", AuthenticateParams, None, None),
)

METHODS: dict[str, MethodSpec] = {m.name: m for m in REQUESTS + NOTIFICATIONS}


def method_names() -> list[str]:
    return [m.name for m in REQUESTS + NOTIFICATIONS]
