"""What every rule module shares: the rule context and span helpers.

Spans are (0-based line, ``str`` column, 0-based end line, end ``str`` column),
end exclusive; the engine turns them into LSP ranges (UTF-16 columns).
Messages quote line numbers 1-based, as editors display them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keel.protocol import AdvisorThresholds

from .catalog import RULES
from .facts import FunctionFacts, ModuleFacts, RawFinding, Span
from .source import Located, SourceMap, node_end, normalise

if TYPE_CHECKING:
    from .frameworks import ModuleLoader
    from .workspace import ExternalUse

_DEF_NAME = re.compile(r"(?:async\s+def|def|class)\s+(\w+)")
_KEYWORD = re.compile(r"(?:async\s+)?\w+")


@dataclass(slots=True)
class RuleContext:
    sm: SourceMap
    facts: ModuleFacts
    thresholds: AdvisorThresholds
    uri: str
    tree: ast.Module
    # reads the modules a class's bases come from (mutable-class-attribute); None: this file only
    load: ModuleLoader | None = None
    key: str = ""  # this module's key for ``load`` (its path)
    # what the rest of the workspace uses of this module (unused-import fix safety)
    usage: ExternalUse | None = None


def node_span(sm: SourceMap, node: Located) -> Span:
    line0 = node.lineno - 1
    end_lineno, end_col = node_end(node)
    end0 = end_lineno - 1
    return (line0, sm.char_col(line0, node.col_offset), end0, sm.char_col(end0, end_col))


def def_name_span(sm: SourceMap, node: Located) -> Span:
    """The span of the name in ``def name`` / ``class name``."""
    line0 = node.lineno - 1
    col = sm.char_col(line0, node.col_offset)
    match = _DEF_NAME.match(sm.line_text(line0), col)
    if match is None:  # e.g. the name on a continuation line: point at the keyword
        return keyword_span(sm, node)
    return (line0, match.start(1), line0, match.end(1))


def keyword_span(sm: SourceMap, node: Located) -> Span:
    """The span of the keyword that starts a statement (``if``, ``async for``, ...)."""
    line0 = node.lineno - 1
    col = sm.char_col(line0, node.col_offset)
    match = _KEYWORD.match(sm.line_text(line0), col)
    end = match.end() if match else col + 1
    return (line0, col, line0, end)


def header_anchor(sm: SourceMap, node: Located) -> str:
    """Normalised first line of a definition: the id anchor of whole-definition findings."""
    line0 = node.lineno - 1
    return normalise(sm.line_text(line0)[sm.char_col(line0, node.col_offset):])


def display(qual: str) -> str:
    return qual or "<module>"


def func_label(fn: FunctionFacts) -> str:
    """'Function 'f'' or 'Method 'C.m'' for messages."""
    return f"{'Method' if fn.is_method else 'Function'} '{fn.qual}'"


def finding(rule: str, span: Span, message: str, qual: str, anchor: str,
            payload: Any = None, fixable: bool | None = None,
            context: Any = None) -> RawFinding:
    spec = RULES[rule]
    return RawFinding(
        rule=rule, span=span, message=message, qual=qual, anchor=anchor,
        fixable=spec.fixable if fixable is None else fixable, payload=payload,
        context=context,
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
