"""Helpers for the advisor tests (imported by the test modules of this folder)."""

from __future__ import annotations

import ast
import textwrap

from radon.complexity import cc_visit

from keel.advisor.engine import analyze_source
from keel.advisor.fixes import rule_fix
from keel.protocol import AdvisorThresholds, Finding

URI = "file:///work/sample.py"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(source: str, rule: str | None = None, **thresholds) -> list[Finding]:
    th = AdvisorThresholds(**thresholds) if thresholds else None
    found = analyze_source(source, URI, th).findings
    return [f for f in found if rule is None or f.rule == rule]


def _utf16_to_index(line: str, units: int) -> int:
    count = 0
    for index, ch in enumerate(line):
        if count >= units:
            return index
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def _offset(lines: list[str], line: int, character: int) -> int:
    """Offset of an LSP position in text whose lines (with their endings) are ``lines``."""
    before = sum(len(text) for text in lines[:line])
    body = lines[line].rstrip("\r\n") if line < len(lines) else ""
    return before + _utf16_to_index(body, character)


def apply_edits(text: str, edits) -> str:
    """Apply LSP TextEdits (all ranges against ``text``), independent of keel's helper."""
    lines = text.splitlines(keepends=True)
    spans = []
    for edit in edits:
        start = _offset(lines, edit.range.start.line, edit.range.start.character)
        end = _offset(lines, edit.range.end.line, edit.range.end.character)
        spans.append((start, end, edit.new_text))
    for start, end, new_text in sorted(spans, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def covered(source: str, finding: Finding) -> str:
    """The text a finding's range covers."""
    lines = source.splitlines(keepends=True)
    r = finding.range
    return source[_offset(lines, r.start.line, r.start.character):
                  _offset(lines, r.end.line, r.end.character)]


def span(finding: Finding) -> tuple[int, int, int, int]:
    r = finding.range
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def fix_round_trip(source: str, finding: Finding, **thresholds) -> str:
    """Apply the rule fix of ``finding``; check it parses and the finding is gone."""
    th = AdvisorThresholds(**thresholds) if thresholds else None
    result = rule_fix(source, URI, finding.id, th)
    assert result is not None, f"no fix for {finding.rule}: {finding.message}"
    assert result.explanation
    fixed = apply_edits(source, result.edits)
    ast.parse(fixed)
    after = analyze_source(fixed, URI, th).findings
    assert finding.id not in {f.id for f in after}, fixed
    return fixed


def radon_complexities(source: str) -> dict[int, int]:
    """radon's complexity of every function it reports, by ``def`` line (closures included)."""
    out: dict[int, int] = {}

    def flatten(blocks):
        for block in blocks:
            if hasattr(block, "methods"):
                flatten(block.methods)
                flatten(block.inner_classes)
            else:
                out[block.lineno] = block.complexity
                flatten(block.closures)

    flatten(cc_visit(source))
    return out
