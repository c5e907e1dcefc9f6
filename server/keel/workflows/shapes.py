"""What a workflow and a stage are: the shapes both the built-ins (``definitions``) and
the user's ``.keel/workflows.toml`` (``user_defined``) are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Tier = Literal["cheap", "capable", "premium"]
TIERS: tuple[Tier, ...] = ("cheap", "capable", "premium")
StaticAnalyzer = Literal["advisor", "bandit", "bugs", "metrics"]
SkipRule = Literal["never", "no_findings"]


@dataclass(frozen=True)
class StageDef:
    id: str
    title: str
    kind: Literal["static", "llm"]
    analyzer: StaticAnalyzer | None = None  # static stages
    tier: Tier | None = None  # llm stages
    prompt: str = ""  # llm: the instruction; code and findings are appended
    output_tokens_per_call: int = 1024
    # Code is sent in chunks of at most this many tokens, one call per chunk.
    chunk_tokens: int = 6000
    # Fixed prompt tokens per call (instructions, findings summary, framing).
    prompt_overhead_tokens: int = 400
    # Run one tier cheaper when the whole input is smaller than this.
    downgrade_under_tokens: int | None = None
    skip_when: SkipRule = "never"
    # At most this many calls per run (largest chunks first); None = all.
    max_calls: int | None = None
    slow_call_ms: int = 30_000


@dataclass(frozen=True)
class WorkflowDef:
    id: str
    title: str
    description: str
    profile: Literal["critical", "balanced", "tolerant"]
    stages: tuple[StageDef, ...]
    inputs: tuple[str, ...] = (".py",)  # file suffixes the workflow reads
    source: str = "builtin"  # or the path of the workflows.toml that defined it
    options: dict[str, Any] = field(default_factory=dict)
