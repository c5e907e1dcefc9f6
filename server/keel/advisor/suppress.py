"""Suppression comments and rule selection: which findings the user asked not to see.

Line level (on the line where the finding starts):
    ``# noqa``                      every rule
    ``# noqa: F401, E722``           rules mapped from ruff/flake8 codes (``CODES``)
    ``# keel: ignore``               every rule
    ``# keel: ignore[unused-import, B006]``  Keel rule ids or codes
File level (a comment line of its own, anywhere in the file):
    ``# keel: ignore-file`` / ``# keel: ignore-file[rule, ...]``
    ``# ruff: noqa`` / ``# flake8: noqa`` / ``# ruff: noqa: F401``

Comments are found with regular expressions over lines, not the tokenizer (the
tokenizer would cost more than the whole analysis); a ``# noqa`` inside a
string literal therefore also counts, which can only hide findings, never add.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .facts import RawFinding

# Keel rule -> the ruff / flake8 / pylint codes of the same check.
CODES: dict[str, frozenset[str]] = {
    rule: frozenset(codes) for rule, codes in {
        "unused-import": ("F401",),
        "unused-variable": ("F841",),
        "mutable-default-argument": ("B006",),
        "bare-except": ("E722", "B001"),
        "swallowed-exception": ("BLE001", "S110", "S112", "SIM105"),
        "shadowed-builtin": ("A001", "A002", "A004"),
        "unreachable-code": ("PLW0101",),
        "jump-in-finally": ("B012",),
        "loop-variable-closure": ("B023",),
        "redefined-unused-name": ("F811",),
        "high-complexity": ("C901",),
        "too-many-returns": ("PLR0911",),
        "too-many-parameters": ("PLR0913", "PLR0917"),
        "long-function": ("PLR0915",),
        "deep-nesting": ("PLR1702",),
        "long-boolean-expression": ("PLR0916",),
        "large-class": ("PLR0904",),
        "duplicate-code": ("R0801",),
        "is-literal": ("F632",),
        "eq-none": ("E711",),
        "assert-tuple": ("F631",),
        "fstring-no-placeholder": ("F541",),
        "duplicate-dict-key": ("F601",),
        "self-comparison": ("PLR0124",),
        "mutable-class-attribute": ("RUF012",),
    }.items()
}
_RULE_OF_CODE = {code: rule for rule, codes in CODES.items() for code in codes}

_ALL = "*"
_LINE = re.compile(
    r"#\s*(?:noqa(?P<noqa>:[\s,]*[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*)?"
    r"|keel:\s*ignore(?!-)(?:\[(?P<keel>[^\]]*)\])?)",
    re.IGNORECASE,
)
_FILE = re.compile(
    r"^[ \t]*#\s*(?:(?:ruff|flake8):\s*noqa(?P<noqa>:[\s,]*[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*)?"
    r"|keel:\s*ignore-file(?:\[(?P<keel>[^\]]*)\])?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def _rules(noqa: str | None, keel: str | None) -> set[str]:
    """The rules one comment names ({'*'} for all)."""
    listed = noqa[1:] if noqa else keel
    if listed is None:
        return {_ALL}
    out = set()
    for word in re.split(r"[\s,]+", listed.strip()):
        if word:
            out.add(_RULE_OF_CODE.get(word.upper(), word.lower()))
    return out


def _file_level(source: str) -> set[str]:
    out: set[str] = set()
    for match in _FILE.finditer(source):
        out |= _rules(match.group("noqa"), match.group("keel"))
    return out


def suppressed_by_comments(source: str, lines: list[str],
                           raw: list[RawFinding]) -> list[RawFinding]:
    """``raw`` without the findings a comment suppresses."""
    lowered = source.lower()
    if "noqa" not in lowered and "keel:" not in lowered:
        return raw  # the common case: one scan, nothing to do
    whole_file = _file_level(source)
    if _ALL in whole_file:
        return []
    by_line: dict[int, set[str]] = {}
    kept = []
    for item in raw:
        if item.rule in whole_file:
            continue
        line0 = item.span[0]
        rules = by_line.get(line0)
        if rules is None:
            text = lines[line0] if 0 <= line0 < len(lines) else ""
            rules = set()
            for match in _LINE.finditer(text):
                rules |= _rules(match.group("noqa"), match.group("keel"))
            by_line[line0] = rules
        if _ALL in rules or item.rule in rules:
            continue
        kept.append(item)
    return kept


def line_rules(text: str) -> set[str]:
    """The rules a line's suppression comments name ({'*'} for all)."""
    rules: set[str] = set()
    for match in _LINE.finditer(text):
        rules |= _rules(match.group("noqa"), match.group("keel"))
    return rules


def rule_of(name: str) -> str:
    """The Keel rule id of a rule id or a ruff/flake8 code ('F401' -> 'unused-import')."""
    return _RULE_OF_CODE.get(name.strip().upper(), name.strip())


def selected(raw: list[RawFinding], disabled: Iterable[str]) -> list[RawFinding]:
    """``raw`` without the findings of disabled rules (ids or codes)."""
    off = {rule_of(name) for name in disabled}
    if not off:
        return raw
    return [item for item in raw if item.rule not in off]
