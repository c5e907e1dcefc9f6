"""JSON Schema of the whole wire contract, built from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from .base import ErrorData
from .methods import METHODS, PROTOCOL_VERSION
from .settings import InitializationOptions, Settings


def build_schema() -> dict[str, Any]:
    models: list[Any] = [ErrorData, Settings, InitializationOptions]
    for spec in METHODS.values():
        models.append(spec.params)
        if spec.result is not None:
            models.append(spec.result)
    unique = list(dict.fromkeys(models))
    _, schema = models_json_schema(
        [(m, "validation") for m in unique],
        by_alias=True,
        title="Keel wire protocol",
        ref_template="#/$defs/{model}",
    )
    _strip_property_titles(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = f"Keel wire protocol, version {PROTOCOL_VERSION}. Generated; do not edit."
    schema["x-keel-methods"] = [
        {
            "name": s.name,
            "kind": s.kind,
            "direction": s.direction,
            "params": s.params.__name__,
            "result": s.result.__name__ if s.result else None,
            "deadlineMs": s.deadline_ms,
        }
        for s in METHODS.values()
    ]
    return schema


def _strip_property_titles(node: Any) -> None:
    """Property titles make json2ts emit one alias per field; the field name says enough."""
    if isinstance(node, dict):
        for prop in (node.get("properties") or {}).values():
            if isinstance(prop, dict):
                prop.pop("title", None)
        for value in node.values():
            _strip_property_titles(value)
    elif isinstance(node, list):
        for value in node:
            _strip_property_titles(value)


def schema_json() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"
