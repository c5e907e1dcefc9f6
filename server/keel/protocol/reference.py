"""docs/protocol-reference.md, generated from the models (so the docs cannot drift)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from .methods import METHODS, NOTIFICATIONS, PROTOCOL_VERSION, REQUESTS


def _fields(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or prop.get("$ref", "").rsplit("/", 1)[-1] or (
            " | ".join(sorted({a.get("type") or a.get("$ref", "").rsplit("/", 1)[-1] or "?"
                               for a in prop.get("anyOf", [])})) or "any")
        if "enum" in prop:
            kind = " | ".join(json.dumps(v) for v in prop["enum"])
        mark = "" if name in required else "?"
        rows.append(f"| `{name}{mark}` | {kind} | {prop.get('description', '')} |")
    return rows


def reference_markdown() -> str:
    lines = [
        f"# Keel protocol reference (version {PROTOCOL_VERSION})",
        "",
        "Generated from `keel.protocol` by `python -m keel.protocol.generate`; do not edit.",
        "The prose contract is in [protocol.md](protocol.md).",
        "",
        "## Requests",
        "",
        "| method | params | result | default deadline |",
        "|---|---|---|---|",
    ]
    for spec in REQUESTS:
        result = spec.result.__name__ if spec.result is not None else "null"
        lines.append(f"| `{spec.name}` | `{spec.params.__name__}` | `{result}` | "
                     f"{(spec.deadline_ms or 0) / 1000:g} s |")
    for direction, title in (("to_client", "server → client"), ("to_server", "client → server")):
        lines += ["", f"## Notifications ({title})", "", "| method | payload |", "|---|---|"]
        lines += [f"| `{spec.name}` | `{spec.params.__name__}` |"
                  for spec in NOTIFICATIONS if spec.direction == direction]
    seen: set[str] = set()
    lines += ["", "## Shapes", ""]
    for spec in METHODS.values():
        for model in (spec.params, spec.result):
            if model is None or model.__name__ in seen:
                continue
            seen.add(model.__name__)
            lines += [f"### {model.__name__}", "", "| field | type | note |", "|---|---|---|",
                      *_fields(model), ""]
    return "\n".join(lines) + "\n"
