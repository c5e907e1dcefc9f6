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

Errors name the file and the field (``workflow[0].stage[1].tier``), and the
line where it can be known. The file degrades per workflow, as settings do per
field: a workflow with an invalid value (or a duplicate id) is dropped alone,
an unknown key is ignored, and the other workflows stay; what was dropped is
one ``ConfigError`` (``config.workflows_invalid``) beside them. A file that
cannot be read at all (a FIFO, invalid UTF-8, invalid TOML, 5,000-deep
nesting) is that error alone; ``definitions.load_catalog`` then keeps the
built-ins.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from keel.errors import ConfigError
from keel.files import NotRegularFile, read_regular
from keel.settings_repair import Dropped, Loc, validate_per_field

from .shapes import StageDef, WorkflowDef

WORKFLOWS_FILE = Path(".keel") / "workflows.toml"
# A workflows file is a few KB; anything this large is a mistake, not a definition.
MAX_WORKFLOWS_BYTES = 1024 * 1024
_TOML_LINE = re.compile(r"\(at line (\d+)")


class _StageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
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
    id: str = Field(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str | None = None
    description: str = ""
    profile: Literal["critical", "balanced", "tolerant"] = "balanced"
    inputs: list[str] = Field(default_factory=lambda: [".py"])
    stage: list[_StageSpec] = Field(min_length=1)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: list[_WorkflowSpec] = Field(default_factory=list)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "<root>"


def _invalid(source: str, problem: str, field: str | None = None,
             line: int | None = None) -> ConfigError:
    where = f"{source}" + (f" line {line}" if line else "") + (f": {field}" if field else "")
    details: dict[str, Any] = {"file": source}
    if field:
        details["field"] = field
    if line:
        details["line"] = line
    return ConfigError(f"{where}: {problem}.", code="config.workflows_invalid", details=details)


_TABLE = re.compile(r"^\s*\[\[\s*(workflow(?:\.stage)?)\s*\]\]")
_ID = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""")


def _duplicate_line(text: str, value: str, workflow_index: int | None = None) -> int | None:
    """The line of the second ``id = "value"`` (of a workflow, or of a stage in one workflow).

    Found by a line scan of the usual ``[[workflow]]`` / ``[[workflow.stage]]``
    layout; other layouts (inline tables) give no line rather than a wrong one.
    """
    table, workflows, seen = "", -1, 0
    for number, line in enumerate(text.splitlines(), 1):
        if header := _TABLE.match(line):
            table = header.group(1)
            workflows += table == "workflow"
            continue
        found = _ID.match(line)
        if not found or found.group(1) != value:
            continue
        wanted = ("workflow" if workflow_index is None else "workflow.stage")
        if table == wanted and (workflow_index is None or workflows == workflow_index):
            seen += 1
            if seen == 2:
                return number
    return None


def _load_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        raise _invalid(source, f"not valid TOML ({exc})",
                       line=int(found.group(1)) if found else None) from None
    except RecursionError:
        raise _invalid(source, "nested too deeply to read") from None


def _duplicate_ids(spec: BaseModel, _raw: dict[str, Any]) -> list[tuple[Loc, str]]:
    """A workflow id used twice (the later entry goes) or a stage id twice in one workflow."""
    assert isinstance(spec, _FileSpec)
    seen: set[str] = set()
    for index, wf in enumerate(spec.workflow):
        if wf.id in seen:
            return [(("workflow", index, "id"), f"workflow id {wf.id!r} is defined twice")]
        seen.add(wf.id)
        stage_ids: set[str] = set()
        for stage_index, stage in enumerate(wf.stage):
            if stage.id in stage_ids:
                return [(("workflow", index, "stage", stage_index, "id"),
                         f"stage id {stage.id!r} appears twice in workflow {wf.id!r}")]
            stage_ids.add(stage.id)
    return []


def _problem_of(dropped: list[Dropped], text: str, source: str) -> ConfigError:
    """One config error for everything dropped: the first names its field and line."""
    first = dropped[0]
    line = None
    if "defined twice" in first.reason or "appears twice" in first.reason:
        value = first.reason.split("'")[1]
        workflow_index = first.loc[1] if "stage" in first.loc else None
        line = _duplicate_line(text, value, workflow_index if isinstance(workflow_index, int) else None)
    entries = sorted({d.loc[1] for d in dropped if len(d.loc) > 1 and isinstance(d.loc[1], int)
                      and not _is_unknown(d)})
    if len(entries) == 1:
        kept = f" Workflow entry {entries[0]} is not used; the others are."
    elif entries:
        kept = f" Workflow entries {', '.join(map(str, entries))} are not used; the others are."
    else:
        kept = " Unknown keys are ignored; every workflow is used."
    more = f" (+{len(dropped) - 1} more)" if len(dropped) > 1 else ""
    error = _invalid(source, first.reason + more, _field_path(first.loc), line)
    return ConfigError(error.message + kept, code=error.code, details=error.details)


def _is_unknown(dropped: Dropped) -> bool:
    return dropped.reason == "unknown setting"


def parse_workflows(text: str, source: str) -> tuple[dict[str, WorkflowDef], ConfigError | None]:
    """The valid workflows of the file, and what was dropped from it (None: nothing).

    Like settings, the file degrades per entry: a workflow with an invalid value is
    dropped alone, an unknown key is ignored, the other workflows stay; a file that
    cannot be read as TOML at all raises.
    """
    data = _load_toml(text, source)
    try:
        validated, dropped = validate_per_field(_FileSpec, data, source, _duplicate_ids,
                                                whole_items=frozenset({"workflow"}))
    except RecursionError:
        raise _invalid(source, "nested too deeply to read") from None
    spec = validated
    assert isinstance(spec, _FileSpec)
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
    return result, (_problem_of(dropped, text, source) if dropped else None)


def read_workflows_text(workspace_root: Path) -> str | None:
    """The text of ``.keel/workflows.toml``; None when there is none. Never blocks."""
    source = str(WORKFLOWS_FILE)
    try:
        data = read_regular(workspace_root / WORKFLOWS_FILE, MAX_WORKFLOWS_BYTES)
    except (FileNotFoundError, NotADirectoryError):  # no file, or .keel is not a folder
        return None
    except NotRegularFile as exc:
        raise _invalid(source, f"is {exc.kind}, not a regular file; it is not read") from None
    except OSError as exc:
        raise _invalid(source, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_WORKFLOWS_BYTES:
        raise _invalid(source, f"is larger than {MAX_WORKFLOWS_BYTES:,} bytes; it is not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _invalid(source, f"is not valid UTF-8 (byte {exc.start})", line=line) from None


def user_workflows(workspace_root: Path) -> tuple[dict[str, WorkflowDef], ConfigError | None]:
    """The file's valid workflows and what was dropped; raises when the file cannot be read."""
    text = read_workflows_text(workspace_root)
    return ({}, None) if text is None else parse_workflows(text, str(WORKFLOWS_FILE))
