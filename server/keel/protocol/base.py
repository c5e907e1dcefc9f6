"""Base classes of the wire models: camelCase on the wire, snake_case in Python.

Every request param is checked here, once for all methods, for text that can be
encoded: JSON may carry a lone surrogate (``"\\ud800"``), which Python keeps in a
``str`` but no file name, SQLite text or UTF-8 log line can hold, so it would
fail deep inside whatever touched it first. ``ParamsModel`` refuses it, naming
the field (-32602).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

_SURROGATE = re.compile("[\ud800-\udfff]")

# A client's own run id: bounded, and of characters every store, log and file name can hold.
RUN_ID_MAX_CHARS = 128
RUN_ID_ALPHABET = "A-Za-z0-9._:-"
RunIdParam = Annotated[str, Field(min_length=1, max_length=RUN_ID_MAX_CHARS,
                                  pattern=f"^[{RUN_ID_ALPHABET}]+$",
                                  description="At most 128 characters of A-Z a-z 0-9 . _ : -")]


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

    @field_validator("*", mode="after")
    @classmethod
    def _encodable_text(cls, value: Any, info: ValidationInfo) -> Any:
        where = _unencodable(value)
        if where is not None:
            raise PydanticCustomError(
                "unencodable_text",
                "text with a lone surrogate{where} (not valid Unicode; it cannot be stored or "
                "used as a name)", {"where": where})
        return value


def _unencodable(value: Any, depth: int = 0) -> str | None:
    """Where in ``value`` a lone surrogate is ("" at the top, " in key 'k'"…), or None."""
    if isinstance(value, str):
        return "" if _SURROGATE.search(value) else None
    if depth > 64 or isinstance(value, ParamsModel):  # nested params check themselves
        return None
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                return " in a key"
            if _unencodable(item, depth + 1) is not None:
                return f" under {str(key)[:40]!r}" if isinstance(key, str) else " inside"
    elif isinstance(value, list | tuple | set | frozenset):
        if any(_unencodable(item, depth + 1) is not None for item in value):
            return " in an item"
    return None


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
