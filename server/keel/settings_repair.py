"""Settings degrade per field: what is wrong is dropped and named, everything else stays.

One typo (``"advisr"``, ``timeouts.bogusMs``, a key a newer extension sends)
must not throw away the user's providers. pydantic reports every failing
location at once; this module removes exactly those locations from a copy of
the raw settings and validates again, so each invalid value falls back to its
own field's default, and an unknown key is ignored. A provider entry with an
invalid value is dropped as a whole (half a provider would talk to the wrong
host); the other providers stay.

Written here rather than found in a library: pydantic validates or fails as a
whole, and its ``on_error='omit'`` exists only for list/dict items, not for
model fields.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]
# Each pass removes at least one location; nesting is shallow, so this is never reached in practice.
MAX_PASSES = 50
# A list whose element is dropped as a whole when any of its fields is wrong.
WHOLE_ITEM_LISTS = frozenset({"providers"})


@dataclass(frozen=True)
class Dropped:
    """One location that was dropped: where (as validated), why, and the line a user reads."""

    loc: Loc
    reason: str
    line: str


def validate_per_field(model: type[BaseModel], raw: dict[str, Any], source: str,
                       check: Callable[[BaseModel, dict[str, Any]], list[tuple[Loc, str]]]
                       | None = None,
                       whole_items: frozenset[str] = WHOLE_ITEM_LISTS) -> tuple[BaseModel, list[Dropped]]:
    """``model`` from ``raw`` with each failing location dropped, and what was dropped.

    ``check`` adds problems pydantic cannot see (e.g. a provider id used twice); the
    locations it names are dropped the same way. An invalid value inside an item of a
    list named in ``whole_items`` drops that item.
    """
    data = copy.deepcopy(raw)
    problems: list[Dropped] = []
    for _ in range(MAX_PASSES):
        failures, from_check = _failures(model, data, check)
        if not failures:
            break
        for loc, text in failures:
            # A check names its item by content: list positions shift as earlier passes drop items.
            line = (f"{source}.{loc[0]}: {text}" if from_check
                    else _describe(model, loc, text, source, whole_items))
            problems.append(Dropped(loc, text, line))
        _drop(data, [_drop_target(loc, text, whole_items) for loc, text in failures])
    else:  # pragma: no cover - a safety net: give up on the whole rather than loop
        return model(), [*problems, Dropped((), "too many invalid fields",
                                            f"{source}: too many invalid fields; using the defaults")]
    return model.model_validate(data), problems


def _failures(model: type[BaseModel], data: dict[str, Any],
              check: Callable[[BaseModel, dict[str, Any]], list[tuple[Loc, str]]] | None,
              ) -> tuple[list[tuple[Loc, str]], bool]:
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        return [(tuple(e.get("loc", ())), _message(e)) for e in exc.errors()], False
    return (check(validated, data) if check else []), True


def _message(error: Any) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown setting"
    if error.get("type") == "missing":
        return "required setting missing"
    return str(error.get("msg", "invalid value"))


def _drop_target(loc: Loc, text: str, whole_items: frozenset[str]) -> Loc:
    if text == "unknown setting":
        return loc  # an unknown key alone is ignored, even inside a provider
    # A provider (or other whole item) with an invalid value goes entirely.
    for i, part in enumerate(loc[:-1]):
        if part in whole_items and isinstance(loc[i + 1], int):
            return loc[:i + 2]
    if text == "required setting missing":
        loc = loc[:-1]  # the key is absent: what holds it goes
    return loc or ("",)


def _drop(data: dict[str, Any], targets: list[Loc]) -> None:
    # Deepest and highest list index first, so earlier deletions do not shift later ones.
    for loc in sorted(set(targets), key=lambda t: (len(t), [str(p) for p in t]), reverse=True):
        parent: Any = data
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        last = loc[-1]
        if isinstance(parent, dict) and last in parent:
            del parent[last]
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            del parent[last]
        elif loc == ("",) or parent is None:
            data.clear()  # a root-level failure: nothing below it can be trusted


def _describe(model: type[BaseModel], loc: Loc, text: str, source: str,
              whole_items: frozenset[str]) -> str:
    path = ".".join(str(p) for p in loc) or "<root>"
    line = f"{source}.{path}: {text}"
    if text == "unknown setting" and loc and isinstance(loc[-1], str):
        known = _known_keys(model, loc[:-1])
        near = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        if near:
            line += f" (did you mean {near[0]!r}?)"
        line += "; ignored"
    elif len(loc) > 1 and loc[0] in whole_items:
        line += f"; {loc[0]} entry {loc[1]} ignored"
    else:
        line += "; using the default"
    return line


def _known_keys(model: type[BaseModel], path: Loc) -> list[str]:
    """The keys (wire spelling) accepted at ``path`` below ``model``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = _field_by_key(current, part)
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
