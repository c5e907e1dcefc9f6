"""The shadowed-builtin fix: rename a function's local variable ``id`` to ``id_``.

PEP 8's spelling for a name that clashes (a trailing underscore). A local
variable is no part of any interface, so renaming every occurrence in the
function keeps behaviour, provided that every occurrence is found and nothing
reads the variable by its name. The fix is offered (and safe) only when the
function's own code proves that:

- the name is bound in the function itself by plain assignments (``=``, ``+=``,
  ``for``, ``with ... as``, ``:=``), so Python makes it local to the whole body:
  every ``Name`` of it in the body, nested functions, lambdas, classes and
  comprehensions included, is this variable; nothing nested binds it again
  (a comprehension's own ``for id in``, a nested parameter, ``def id``), and no
  ``except ... as``, import, ``match`` capture, ``global`` or ``nonlocal`` names it
  (bindings that are not ``Name`` nodes);
- nothing reads locals by name: no ``locals()``, ``vars()``, ``eval``, ``exec``,
  ``dir()``, frame access (``sys._getframe``, ``inspect.currentframe``,
  ``f_locals``), and no string that parses as an expression using the name
  (``df.query("x == @id")`` and ``numexpr.evaluate("id + 1")`` read the caller's
  locals by name);
- no annotation mentions it (a string under ``from __future__ import
  annotations``), the new name occurs nowhere in the function's text (so no
  code there reads a global or builtin of that name), and each edited span
  reads exactly the old name (f-string positions on Python < 3.12).

Parameters (their names are the call interface), module and class attributes
(importable) are never renamed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .edits import OffsetEdit
from .source import SourceMap

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)
# what reads a frame's locals by name: called by name, or as an attribute
_INTROSPECTION = frozenset(("locals", "vars", "eval", "exec", "dir", "_getframe", "currentframe",
                            "getouterframes", "getframeinfo", "settrace", "breakpoint"))
_FRAME_ATTRS = frozenset(("_getframe", "currentframe", "getouterframes", "getinnerframes",
                          "getframeinfo", "f_locals", "f_back", "settrace", "set_trace",
                          "eval", "exec", "trace"))
Function = ast.FunctionDef | ast.AsyncFunctionDef


def new_name(name: str) -> str:
    return name + "_"


def _walk(func: Function) -> Iterator[tuple[ast.AST, bool]]:
    """Every node of the body with whether it lies in a nested scope."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in func.body]
    while stack:
        node, nested = stack.pop()
        yield node, nested
        inner = nested or isinstance(node, _SCOPES)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def _docstrings(func: Function) -> set[int]:
    found = set()
    for node in [func, *ast.walk(func)]:
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
    return found


def _expression_uses(text: str, name: str) -> bool:
    """``text`` parses as an expression (``@`` markers dropped) that reads ``name``."""
    if name not in text:
        return False
    try:
        tree = ast.parse(text.replace("@", " ").strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(tree))


def _binds_otherwise(node: ast.AST, name: str) -> bool:
    """``node`` binds ``name`` without a ``Name`` node (which a rename would miss)."""
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        return node.name == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, ast.arg):
        return node.arg == name
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == name
    if isinstance(node, ast.Global | ast.Nonlocal):
        return name in node.names
    if isinstance(node, ast.MatchMapping):
        return node.rest == name
    return False


def _annotations(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.arg | ast.AnnAssign):
        return [node.annotation] if node.annotation is not None else []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return [node.returns] if node.returns is not None else []
    return []


def rename_edits(sm: SourceMap, func: Function, name: str) -> list[OffsetEdit] | None:
    """The edits renaming local ``name`` of ``func`` to ``new_name(name)``, or None when
    the function does not prove the rename keeps behaviour (see the module docstring)."""
    replacement = new_name(name)
    if name.startswith("_") or re.search(rf"\b{re.escape(replacement)}\b", sm.segment(func)):
        return None  # the new name is taken in the function (or read from outside it)
    args = func.args
    if any(a.arg == name for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                   *(a for a in (args.vararg, args.kwarg) if a)]):
        return None
    docstrings = _docstrings(func)
    names: list[ast.Name] = []
    own_store = False
    for node, nested in _walk(func):
        if isinstance(node, ast.Name):
            if node.id == name:
                if not isinstance(node.ctx, ast.Load):
                    if nested:
                        return None  # bound again in a nested scope: another variable
                    own_store = True
                names.append(node)
            elif node.id in _INTROSPECTION:
                return None
        elif isinstance(node, ast.Attribute) and (node.attr in _FRAME_ATTRS or (
                node.attr == "stack" and isinstance(node.value, ast.Name)
                and node.value.id == "inspect")):
            return None
        elif _binds_otherwise(node, name):
            return None
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and _expression_uses(node.value, name):
            return None
        if any(isinstance(n, ast.Name) and n.id == name
               for annotation in _annotations(node) for n in ast.walk(annotation)):
            return None
    if not own_store:
        return None
    edits: list[OffsetEdit] = []
    for node in names:
        start, end = sm.node_offsets(node)
        if sm.source[start:end] != name:
            return None
        edits.append((start, end, replacement))
    return edits
