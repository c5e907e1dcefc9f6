"""Base classes of the wire models: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A result, notification or shape: extra fields from newer peers are kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow",
                              defer_build=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ParamsModel(BaseModel):
    """Request params: unknown fields are an error that names the field."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              defer_build=True)


class DeadlineParams(ParamsModel):
    timeout_ms: int | None = Field(default=None, gt=0, description="May only shorten the deadline.")


ProgressToken = int | str


class Position(WireModel):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(WireModel):
    start: Position
    end: Position


ErrorType = Literal[
    "config", "validation", "provider", "timeout", "cancelled", "unavailable", "internal"
]


class ErrorData(WireModel):
    error_type: ErrorType
    transient: bool
    code: str
    retry_after_ms: int | None = None
    run_id: str | None = None
    stage_id: str | None = None
    request_id: str | int | None = None
    hint: str | None = None
