"""Workflow definitions: the single source that both runWorkflow and estimateCost read.

A workflow is an ordered list of stages (``static`` or ``llm``), a resilience
profile and the inputs it reads. Built-ins live here; user-defined ones come
from ``.keel/workflows.toml`` in the workspace (see ``user_workflows``), and
``load_catalog`` merges the two so that every path (listing, runs, estimates)
keeps the built-ins when the user's file is broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keel.errors import ConfigError, InvalidInput

# Re-exported: the stage engine, the estimate and the app know these names from here.
from .shapes import TIERS as TIERS
from .shapes import SkipRule as SkipRule
from .shapes import StageDef as StageDef
from .shapes import StaticAnalyzer as StaticAnalyzer
from .shapes import Tier as Tier
from .shapes import WorkflowDef as WorkflowDef
from .user_defined import WORKFLOWS_FILE, user_workflows

_REVIEW = WorkflowDef(
    id="review",
    title="Code review",
    description="Static findings, then a capable model reviews the code and the findings.",
    profile="critical",
    stages=(
        StageDef("static", "Static analysis", "static", analyzer="advisor"),
        StageDef("bugs", "Bug patterns", "static", analyzer="bugs"),
        StageDef(
            "review", "Model review", "llm", tier="capable",
            prompt="Review this Python code. Use the static findings as leads. "
                   "List concrete problems with file and line, most severe first.",
            output_tokens_per_call=1200, downgrade_under_tokens=1500,
        ),
    ),
)

_SECURITY = WorkflowDef(
    id="security-audit",
    title="Security audit",
    description="bandit and bug-pattern rules, then a premium model triages the issues.",
    profile="critical",
    stages=(
        StageDef("bandit", "Security scan (bandit)", "static", analyzer="bandit"),
        StageDef("bugs", "Bug patterns", "static", analyzer="bugs"),
        StageDef(
            "triage", "Security triage", "llm", tier="premium",
            prompt="You are a security reviewer. For each reported issue decide whether it is "
                   "exploitable, explain the impact and propose a fix. Add issues the scanner missed.",
            output_tokens_per_call=1500, skip_when="no_findings",
        ),
    ),
)

_BUG_PREDICT = WorkflowDef(
    id="bug-predict",
    title="Bug prediction",
    description="Complexity and bug-pattern hotspots, then a model predicts likely bugs.",
    profile="balanced",
    stages=(
        StageDef("metrics", "Complexity hotspots", "static", analyzer="advisor"),
        StageDef("bugs", "Bug patterns", "static", analyzer="bugs"),
        StageDef(
            "predict", "Bug prediction", "llm", tier="capable",
            prompt="Given these hotspots and bug patterns, predict where bugs are most likely "
                   "and why. Rank the top risks.",
            output_tokens_per_call=900, downgrade_under_tokens=2000, max_calls=20,
        ),
    ),
)

_REFACTOR_PLAN = WorkflowDef(
    id="refactor-plan",
    title="Refactor plan",
    description="Advisor findings, then a capable model writes an ordered refactoring plan.",
    profile="balanced",
    stages=(
        StageDef("static", "Static analysis", "static", analyzer="advisor"),
        StageDef(
            "plan", "Refactor plan", "llm", tier="capable",
            prompt="Write an ordered, incremental refactoring plan for this code based on the "
                   "findings. Each step: what, where, why, risk.",
            output_tokens_per_call=1500, skip_when="no_findings", max_calls=10,
        ),
    ),
)

_SUMMARIZE = WorkflowDef(
    id="summarize",
    title="Summarize",
    description="Metrics, then a cheap model summarises what the code does.",
    profile="tolerant",
    stages=(
        StageDef("metrics", "Metrics", "static", analyzer="metrics"),
        StageDef(
            "summary", "Summary", "llm", tier="cheap",
            prompt="Summarise what this code does, its main modules and entry points, in plain words.",
            output_tokens_per_call=600, chunk_tokens=12000,
        ),
    ),
)

BUILTIN_WORKFLOWS: dict[str, WorkflowDef] = {
    w.id: w for w in (_REVIEW, _SECURITY, _BUG_PREDICT, _REFACTOR_PLAN, _SUMMARIZE)
}


@dataclass(frozen=True)
class WorkflowCatalog:
    """The workflows of a workspace: built-ins, merged with the valid workflows of the user's file.

    A broken ``.keel/workflows.toml`` never takes the built-ins down, nor a broken
    workflow its valid neighbours: ``problem`` says what was dropped from the file.
    """

    workflows: dict[str, WorkflowDef]
    problem: ConfigError | None = None

    def get(self, workflow_id: str) -> WorkflowDef:
        found = self.workflows.get(workflow_id)
        if found is not None:
            return found
        if self.problem is not None:
            raise self.problem  # the id may be one the broken file defines
        known = ", ".join(self.workflows)
        raise InvalidInput(
            f"Unknown workflow {workflow_id[:80]!r}; known workflows: {known}.",
            code="workflow.unknown",
            details={"field": "workflow"},
        )


def load_catalog(workspace_root: Path | None = None) -> WorkflowCatalog:
    """Built-ins plus the workspace's ``.keel/workflows.toml`` (None: built-ins only). Blocking I/O."""

    merged = dict(BUILTIN_WORKFLOWS)
    if workspace_root is None:
        return WorkflowCatalog(merged)
    try:
        valid, dropped = user_workflows(workspace_root)
        merged.update(valid)
        if dropped is not None:
            return WorkflowCatalog(merged, dropped)
    except ConfigError as problem:
        return WorkflowCatalog(dict(BUILTIN_WORKFLOWS), problem)
    except Exception as exc:  # noqa: BLE001  whatever the file holds, the built-ins keep working
        # Not logged here: the CLI calls this with logging unconfigured (stdout).
        return WorkflowCatalog(dict(BUILTIN_WORKFLOWS), ConfigError(
            f"{WORKFLOWS_FILE}: cannot be read ({type(exc).__name__}).",
            code="config.workflows_invalid", details={"file": str(WORKFLOWS_FILE)}))
    return WorkflowCatalog(merged)


def list_workflows(workspace_root: Path | None = None) -> list[WorkflowDef]:
    return list(load_catalog(workspace_root).workflows.values())


def get_workflow(workflow_id: str, workspace_root: Path | None = None) -> WorkflowDef:
    return load_catalog(workspace_root).get(workflow_id)
