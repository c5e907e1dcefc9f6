"""User-defined workflows from ``.keel/workflows.toml`` in the workspace.

Format::

    [[workflow]]
    id = "docs"
    title = "Docs check"
    profile = "tolerant"
    inputs = [".py"]
      [[workflow.stage]]
      id = "static"
      kind = "static"
      analyzer = "advisor"
      [[workflow.stage]]
      id = "docs"
      kind = "llm"
      tier = "cheap"
      prompt = "Point out missing or wrong docstrings."

Errors name the file and the field (``workflow[0].stage[1].tier``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from keel.errors import ConfigError

from .definitions import StageDef, WorkflowDef

WORKFLOWS_FILE = Path(".keel") / "workflows.toml"


class _StageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str | None = None
    kind: Literal["static", "llm"]
    analyzer: Literal["advisor", "bandit", "bugs", "metrics"] | None = None
    tier: Literal["cheap", "capable", "premium"] | None = None
    prompt: str = ""
    output_tokens: int = Field(default=1024, ge=1, le=32_000)
    chunk_tokens: int = Field(default=6000, ge=256, le=200_000)
    downgrade_under_tokens: int | None = Field(default=None, ge=1)
    skip_when: Literal["never", "no_findings"] = "never"
    max_calls: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _kind_fields(self) -> _StageSpec:
        if self.kind == "static" and self.analyzer is None:
            raise ValueError("a static stage needs 'analyzer'")
        if self.kind == "llm" and (self.tier is None or not self.prompt):
            raise ValueError("an llm stage needs 'tier' and 'prompt'")
        return self


class _WorkflowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str | None = None
    description: str = ""
    profile: Literal["critical", "balanced", "tolerant"] = "balanced"
    inputs: list[str] = Field(default_factory=lambda: [".py"])
    stage: list[_StageSpec] = Field(min_length=1)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: list[_WorkflowSpec] = Field(default_factory=list)


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "<root>"


def parse_workflows(text: str, source: str) -> dict[str, WorkflowDef]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}).", code="config.workflows_invalid") from None
    try:
        spec = _FileSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"{source}: {_field_path(first['loc'])}: {first['msg']}.",
            code="config.workflows_invalid",
            details={"file": source, "field": _field_path(first["loc"])},
        ) from None
    result: dict[str, WorkflowDef] = {}
    for wf in spec.workflow:
        stages = tuple(
            StageDef(
                id=s.id, title=s.title or s.id, kind=s.kind, analyzer=s.analyzer, tier=s.tier,
                prompt=s.prompt, output_tokens_per_call=s.output_tokens, chunk_tokens=s.chunk_tokens,
                downgrade_under_tokens=s.downgrade_under_tokens, skip_when=s.skip_when,
                max_calls=s.max_calls,
            )
            for s in wf.stage
        )
        result[wf.id] = WorkflowDef(
            id=wf.id, title=wf.title or wf.id, description=wf.description, profile=wf.profile,
            stages=stages, inputs=tuple(wf.inputs), source=source,
        )
    return result


def user_workflows(workspace_root: Path) -> dict[str, WorkflowDef]:
    path = workspace_root / WORKFLOWS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{WORKFLOWS_FILE}: cannot be read ({exc.strerror}).",
                          code="config.workflows_invalid") from None
    return parse_workflows(text, str(WORKFLOWS_FILE))
