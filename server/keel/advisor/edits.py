"""Text edits: offset-based edits, their LSP form, applying them, removing statements.

Internally an edit is ``(start, end, new_text)`` over ``str`` offsets of the
original source; ``to_text_edits`` turns them into LSP ``TextEdit``s (0-based
lines, UTF-16 columns, end exclusive). ``apply_text_edits`` applies LSP edits
the way an editor does: all ranges refer to the original text.
"""

from __future__ import annotations

import ast

from keel.protocol import TextEdit

from .source import SourceMap, node_end

OffsetEdit = tuple[int, int, str]


def apply_offset_edits(text: str, edits: list[OffsetEdit]) -> str:
    out = []
    cursor = 0
    for start, end, new_text in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(new_text)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def apply_text_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply LSP edits (ranges against ``text``) and return the new text."""
    sm = SourceMap(text)
    offsets = [
        (sm.lsp_to_offset(e.range.start), sm.lsp_to_offset(e.range.end), e.new_text)
        for e in edits
    ]
    return apply_offset_edits(text, offsets)


def minimal_edit(old: str, new: str, base: int) -> OffsetEdit:
    """One edit turning ``old`` (at offset ``base``) into ``new``, trimmed to the change."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
        suffix += 1
    return (base + prefix, base + len(old) - suffix, new[prefix:len(new) - suffix])


def to_text_edits(sm: SourceMap, edits: list[OffsetEdit]) -> list[TextEdit]:
    out = []
    for start, end, new_text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(TextEdit.model_validate({
            "range": {"start": sm.offset_position(start), "end": sm.offset_position(end)},
            "newText": new_text,
        }))
    return out


def statement_start_offset(sm: SourceMap, stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    lineno = decorators[0].lineno if decorators else stmt.lineno
    return sm.offset(lineno - 1, sm.char_col(lineno - 1, stmt.col_offset))


def statement_end_offset(sm: SourceMap, stmt: ast.stmt) -> int:
    end_lineno, end_col = node_end(stmt)
    end0 = end_lineno - 1
    return sm.offset(end0, sm.char_col(end0, end_col))


def _line_start(text: str, offset: int) -> int:
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def _line_end(text: str, offset: int) -> tuple[int, int]:
    """(end of the line's content, start of the next line) from ``offset``."""
    end = offset
    size = len(text)
    while end < size and text[end] not in "\r\n":
        end += 1
    nxt = end
    if text.startswith("\r\n", nxt):
        nxt += 2
    elif nxt < size:
        nxt += 1
    return end, nxt


def remove_statements(sm: SourceMap, block: list[ast.stmt], first: int,
                      last: int) -> OffsetEdit:
    """An edit removing ``block[first..last]`` (inclusive), keeping the block valid.

    Whole lines go when the statements own them (a trailing comment goes too);
    ``a; b`` loses one statement and its ``;``; a block that would be left empty
    gets ``pass``.
    """
    text = sm.source
    start = statement_start_offset(sm, block[first])
    end = statement_end_offset(sm, block[last])
    if first == 0 and last == len(block) - 1:
        return (start, end, "pass")
    line_start = _line_start(text, start)
    content_end, next_line = _line_end(text, end)
    before = text[line_start:start]
    after = text[end:content_end]
    if not before.strip() and (not after.strip() or after.strip().startswith("#")):
        return (line_start, next_line, "")
    stripped_after = after.lstrip(" \t")
    if stripped_after.startswith(";"):
        gap = len(after) - len(stripped_after)
        rest = stripped_after[1:]
        spaces = len(rest) - len(rest.lstrip(" \t"))
        return (start, end + gap + 1 + spaces, "")
    stripped_before = before.rstrip(" \t")
    if stripped_before.endswith(";"):
        return (line_start + len(stripped_before) - 1, end, "")
    return (start, end, "pass")
