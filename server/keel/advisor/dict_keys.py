"""The duplicate-dict-key fix: remove a repeated entry that changes nothing.

``{"a": 1, "b": 2, "a": 1}`` builds the same dictionary as ``{"a": 1, "b": 2}``:
the later entry sets the key to the value it already has, and the key keeps the
position of its first insertion. The removal is offered (and safe) only when
that is provable from the display alone:

- the repeated entry's key and value are constants, its value the same constant
  (same type and ``repr``) as the entry before it with that key;
- every entry between the two has a constant key that is not equal to this key
  (a name or call could evaluate to it, ``True == 1``) and none is a ``**``
  unpacking (which could set the key to something else in between);
- the text removed is exactly ``key: value,`` and blanks (no comment is lost).

Duplicates with different values are left to the author: which value was meant
is a decision, and removing either changes the dictionary.
"""

from __future__ import annotations

import ast
import re

from .edits import OffsetEdit
from .source import SourceMap


def _same(a: ast.expr | None, b: ast.expr) -> bool:
    return (type(a) is ast.Constant and type(b) is ast.Constant
            and type(a.value) is type(b.value) and repr(a.value) == repr(b.value))


def _provable(node: ast.Dict, index: int) -> bool:
    key, value = node.keys[index], node.values[index]
    if type(key) is not ast.Constant or type(value) is not ast.Constant:
        return False
    for at in range(index - 1, -1, -1):
        other = node.keys[at]
        if type(other) is not ast.Constant:
            return False  # '**mapping' or a computed key: it may set this key
        if _same(other, key):
            return _same(node.values[at], value)
        try:
            if other.value == key.value:  # 1 == True == 1.0: one key, another spelling
                return False
        except Exception:  # noqa: BLE001 - constants compare without raising; be sure
            return False
    return False


def removal(sm: SourceMap, node: ast.Dict, index: int) -> OffsetEdit | None:
    """The edit removing entry ``index`` of ``node`` when it provably changes nothing."""
    if not _provable(node, index):
        return None
    key, value = node.keys[index], node.values[index]
    assert key is not None  # _provable: a constant key
    key_at, _ = sm.node_offsets(key)
    _, value_end = sm.node_offsets(value)
    entry = re.escape(sm.segment(key)) + r"\s*:\s*" + re.escape(sm.segment(value))
    if index + 1 < len(node.keys):  # 'key: value,' up to the next entry
        following = node.keys[index + 1]
        if following is None:  # '**rest' next: the '**' starts it
            start, end = key_at, sm.source.find("**", value_end)
        else:
            start, end = key_at, sm.node_offsets(following)[0]
        pattern = entry + r"\s*,\s*"
    else:  # the last entry: ', key: value' after the one before it
        start, end = sm.node_offsets(node.values[index - 1])[1], value_end
        pattern = r"\s*,\s*" + entry
    if end < start or not re.fullmatch(pattern, sm.source[start:end]):
        return None  # a comment or parentheses in between: leave it to the author
    return (start, end, "")
