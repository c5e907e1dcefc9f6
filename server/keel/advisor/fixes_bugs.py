"""The bug-pattern fixes, each a small text edit: is-literal, fstring-no-placeholder,
duplicate-dict-key, shadowed-builtin (their safety: ``rules_bugs``, ``dict_keys``,
``rename``; the table in docs/advisor.md). Split from ``fixes`` to keep modules small."""

from __future__ import annotations

import re

from .dict_keys import removal
from .edits import OffsetEdit
from .engine import Analysis
from .facts import RawFinding
from .rename import new_name
from .rules_bugs import unprefixed

# a rule fix: its edits, its title (an action) and what it did; None: cannot be fixed
Fixed = tuple[list[OffsetEdit], str, str] | None

_IS = re.compile(r"\bis(\s+not)?\b")


def fix_is_literal(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    left, right, negated = raw.payload
    start, end = sm.node_offsets(left)[1], sm.node_offsets(right)[0]
    match = _IS.search(sm.source, start, end)
    if match is None:
        return None
    eq = "!=" if negated else "=="
    return [(match.start(), match.end(), eq)], f"Replace '{match.group(0)}' with '{eq}'", (
        f"'{match.group(0)}' became '{eq}': the comparison now compares values.")


def fix_rename(an: Analysis, raw: RawFinding) -> Fixed:
    name, edits = raw.payload
    if edits is None:
        return None
    new = new_name(name)
    return list(edits), f"Rename '{name}' to '{new}'", (
        f"Renamed the local variable '{name}' to '{new}' everywhere in the function, so the "
        f"builtin '{name}' is no longer hidden.")


def fix_duplicate_key(an: Analysis, raw: RawFinding) -> Fixed:
    node, index = raw.payload
    edit = removal(an.source, node, index)
    if edit is None:
        return None
    return [edit], "Remove the repeated entry", (
        "Removed the repeated entry: it set the key to the value it already had.")


def fix_fstring(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    node = raw.payload
    start, end = sm.node_offsets(node)
    at = unprefixed(sm.source[start:end], node)
    if at is None:
        return None
    return [(start + at, start + at + 1, "")], "Remove the 'f' prefix", (
        "Removed the 'f' prefix: the string has nothing to format, its value is unchanged.")
