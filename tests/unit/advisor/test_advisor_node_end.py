"""End positions: every span, edit and line count is built from ``node_end``."""

from __future__ import annotations

import ast

import pytest

from keel.advisor.edits import statement_end_offset
from keel.advisor.source import SourceMap, node_end


def test_parsed_node_end_is_its_last_line_and_byte_column():
    stmt = ast.parse("x = (1,\n     'é')\n").body[0]
    assert node_end(stmt) == (2, 10)  # 'é' is two UTF-8 bytes


def test_node_without_end_position_is_a_clear_error():
    with pytest.raises(ValueError, match=r"^Pass node at line \? has no end position"):
        node_end(ast.Pass())


def test_edit_of_a_hand_built_statement_names_it():
    # (before: TypeError "unsupported operand type(s) for -: 'NoneType' and 'int'")
    stmt = ast.Return(lineno=3, col_offset=0)
    with pytest.raises(ValueError, match=r"^Return node at line 3 has no end position"):
        statement_end_offset(SourceMap("a\nb\nreturn\n"), stmt)
