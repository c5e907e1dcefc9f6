"""Syntax predicates and tables shared by the walk and the rules."""

from __future__ import annotations

import ast
import builtins
from ast import (
    Attribute,
    Break,
    Call,
    ClassDef,
    Constant,
    Continue,
    Dict,
    DictComp,
    Expr,
    GeneratorExp,
    Lambda,
    List,
    ListComp,
    Name,
    Pass,
    Raise,
    Return,
    Set,
    SetComp,
    Tuple,
    UnaryOp,
)

BUILTIN_NAMES = frozenset(
    name for name in dir(builtins) if not name.startswith("_")
) - {"copyright", "credits", "license", "exit", "quit", "help"}

MODULE, CLASS, FUNCTION = 0, 1, 2
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
TERMINATORS = frozenset((Return, Raise, Continue, Break))
COMPS = frozenset((ListComp, SetComp, GeneratorExp, DictComp))
INTROSPECTION = frozenset(("locals", "vars", "eval", "exec"))
_MUTABLE_LITERALS = frozenset((List, Dict, Set, ListComp, DictComp, SetComp))
_MUTABLE_CALLS = frozenset(
    ("list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter")
)
_BROAD = frozenset(("Exception", "BaseException"))
_NOT_CHILDREN = frozenset(
    ("ctx", "op", "ops", "id", "attr", "name", "names", "module", "level", "kind",
     "conversion", "type_comment", "is_async", "arg", "rest", "kwd_attrs", "tag")
)
FIELDS: dict[type, tuple[str, ...]] = {Constant: (), ast.MatchSingleton: ()}


def fields_of(cls: type) -> tuple[str, ...]:
    """The fields of a node type that may hold child nodes (cached in ``FIELDS``)."""
    fields = tuple(f for f in cls._fields if f not in _NOT_CHILDREN)
    FIELDS[cls] = fields
    return fields


def is_mutable_default(node: ast.expr) -> bool:
    """A list/dict/set display or comprehension, or a call of a mutable container type."""
    t = type(node)
    if t in _MUTABLE_LITERALS:
        return True
    if t is Call:
        func = node.func
        name = func.id if type(func) is Name else func.attr if type(func) is Attribute else None
        return name in _MUTABLE_CALLS
    return False


def is_pure(node: ast.expr) -> bool:
    """True for values whose evaluation cannot have side effects (literals, names)."""
    t = type(node)
    if t is Constant or t is Name:
        return True
    if t is Tuple or t is List or t is Set:
        return all(is_pure(e) for e in node.elts)
    if t is Dict:
        return all(k is not None and is_pure(k) for k in node.keys) and all(
            is_pure(v) for v in node.values
        )
    if t is UnaryOp:
        return type(node.operand) is Constant
    return False


def is_broad(node: ast.expr | None) -> bool:
    """``except`` type that catches everything: Exception, BaseException (or a tuple with one)."""
    if node is None:
        return False
    t = type(node)
    if t is Name:
        return node.id in _BROAD
    if t is Attribute:
        return node.attr in _BROAD and type(node.value) is Name and node.value.id == "builtins"
    if t is Tuple:
        return any(is_broad(e) for e in node.elts)
    return False


def swallows(body: list[ast.stmt], bound: str | None = None) -> bool:
    """The handler body only passes, continues, breaks or returns a plain value.

    Returning the caught exception (``bound``) hands it on, so it does not count.
    """
    for stmt in body:
        t = type(stmt)
        if t is Pass or t is Continue or t is Break:
            continue
        if t is Expr and type(stmt.value) is Constant:
            continue
        if t is Return:
            value = stmt.value
            if value is None or type(value) is Attribute or (
                    is_pure(value) and not (type(value) is Name and value.id == bound)):
                continue
        return False
    return True


def has_raise(body: list[ast.stmt]) -> bool:
    """A ``raise`` anywhere in the statements (nested definitions excluded)."""
    todo = list(body)
    while todo:
        node = todo.pop()
        t = type(node)
        if t is Raise:
            return True
        if t in FUNCS or t is ClassDef or t is Lambda:
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def all_strings(node: ast.expr) -> list[str] | None:
    """The strings of a list/tuple display of string literals (``__all__``), else None."""
    if type(node) in (List, Tuple):
        out = []
        for elt in node.elts:
            if type(elt) is not Constant or not isinstance(elt.value, str):
                return None
            out.append(elt.value)
        return out
    return None
