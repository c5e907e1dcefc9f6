"""Source text helpers: line table, position conversions, normalised text.

``ast`` reports a line as 1-based and a column as a UTF-8 *byte* offset. The
wire (LSP) wants a 0-based line and a column in UTF-16 code units. ``SourceMap``
converts between the two and also to ``str`` offsets for slicing. Lines are
split the way both LSP and the Python tokenizer split them: on ``\\r\\n``,
``\\r`` and ``\\n`` only (``str.splitlines`` would also split on form feeds and
``\\u2028``, which Python does not treat as line ends).
"""

from __future__ import annotations

import ast
import re

from keel.protocol import Position, Range

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# the syntax-tree nodes that carry a source position
Located = (ast.stmt | ast.expr | ast.excepthandler | ast.arg | ast.keyword | ast.alias
           | ast.pattern)


def node_end(node: Located) -> tuple[int, int]:
    """(1-based end line, end byte column) of a node.

    ``ast.parse`` sets both on every statement, expression and handler; they are
    only missing on a node built by hand, which the advisor never analyses.
    """
    end_lineno, end_col = node.end_lineno, node.end_col_offset
    if end_lineno is None or end_col is None:
        where = getattr(node, "lineno", "?")  # a hand-built node may have no position at all
        raise ValueError(f"{type(node).__name__} node at line {where} has no end "
                         "position: the advisor needs nodes from ast.parse")
    return end_lineno, end_col


def split_lines(source: str) -> list[str]:
    """The lines of ``source`` without their terminators (always at least one)."""
    if "\r" not in source:
        return source.split("\n")
    return _LINE_BREAK.split(source)


class SourceMap:
    __slots__ = ("source", "lines", "_starts", "_ascii", "_norm")

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = split_lines(source)
        self._starts: list[int] | None = None
        self._ascii = source.isascii()
        self._norm: list[str] | None = None

    # -- positions -------------------------------------------------------

    def line_text(self, line0: int) -> str:
        if 0 <= line0 < len(self.lines):
            return self.lines[line0]
        return ""

    def char_col(self, line0: int, byte_col: int) -> int:
        """A ``str`` index into line ``line0`` from an ``ast`` byte column."""
        if self._ascii:
            return byte_col
        text = self.line_text(line0)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def utf16_col(self, line0: int, char_col: int) -> int:
        """The UTF-16 column of ``str`` index ``char_col`` in line ``line0``."""
        if self._ascii:
            return char_col
        prefix = self.line_text(line0)[:char_col]
        if prefix.isascii():
            return char_col
        return len(prefix.encode("utf-16-le")) // 2

    def position(self, lineno: int, byte_col: int) -> Position:
        """LSP position from an ``ast`` (1-based line, UTF-8 byte column) pair."""
        line0 = lineno - 1
        return Position(line=line0, character=self.utf16_col(line0, self.char_col(line0, byte_col)))

    def char_position(self, line0: int, char_col: int) -> Position:
        return Position(line=line0, character=self.utf16_col(line0, char_col))


    def span_range(self, lineno: int, col: int, end_lineno: int, end_col: int) -> Range:
        return Range(start=self.position(lineno, col), end=self.position(end_lineno, end_col))

    def offset(self, line0: int, char_col: int) -> int:
        """Offset into ``source`` of (0-based line, ``str`` column)."""
        if self._starts is None:
            starts = [0]
            pos = 0
            if "\r" not in self.source:
                for text in self.lines[:-1]:
                    pos += len(text) + 1
                    starts.append(pos)
            else:
                for match in _LINE_BREAK.finditer(self.source):
                    starts.append(match.end())
            self._starts = starts
        if line0 >= len(self._starts):
            return len(self.source)
        return self._starts[line0] + char_col

    def node_offsets(self, node: Located) -> tuple[int, int]:
        """(start, end) ``str`` offsets of an ``ast`` node in ``source``."""
        start = self.offset(node.lineno - 1, self.char_col(node.lineno - 1, node.col_offset))
        end_lineno, end_col = node_end(node)
        end = self.offset(end_lineno - 1, self.char_col(end_lineno - 1, end_col))
        return start, end

    def lsp_to_offset(self, pos: Position) -> int:
        """Offset into ``source`` of an LSP position (UTF-16 column)."""
        text = self.line_text(pos.line)
        if text.isascii():
            col = min(pos.character, len(text))
        else:
            units = 0
            col = len(text)
            for index, ch in enumerate(text):
                if units >= pos.character:
                    col = index
                    break
                units += 2 if ord(ch) > 0xFFFF else 1
        return self.offset(pos.line, col)

    def offset_position(self, offset: int) -> Position:
        """LSP position of a ``str`` offset into ``source``."""
        self.offset(0, 0)  # builds the table
        starts = self._starts
        assert starts is not None
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.char_position(lo, offset - starts[lo])

    def segment(self, node: Located) -> str:
        start, end = self.node_offsets(node)
        return self.source[start:end]

    # -- normalised text -------------------------------------------------

    def normalised_lines(self) -> list[str]:
        """Each line with all whitespace and a trailing comment removed ('' if none left).

        A ``#`` only starts a comment to be stripped when the line has no quote
        before it (cheap and never wrong about code; a comment after a string
        is merely kept).
        """
        if self._norm is None:
            norm: list[str] = []
            append = norm.append
            for text in self.lines:
                hash_at = text.find("#")
                if hash_at >= 0:
                    head = text[:hash_at]
                    if "'" not in head and '"' not in head:
                        text = head
                append("".join(text.split()))
            self._norm = norm
        return self._norm


def normalise(text: str) -> str:
    """Whitespace-collapsed text (for stable finding ids)."""
    return " ".join(text.split())
