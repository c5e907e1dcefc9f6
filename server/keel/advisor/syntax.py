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
from collections.abc import Sequence

BUILTIN_NAMES = frozenset(
    name for name in dir(builtins) if not name.startswith("_")
) - {"copyright", "credits", "license", "exit", "quit", "help"}

MODULE, CLASS, FUNCTION = 0, 1, 2
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
TERMINATORS = frozenset((Return, Raise, Continue, Break))
INTROSPECTION = frozenset(("locals", "vars", "eval", "exec"))
_MUTABLE_LITERALS = frozenset((List, Dict, Set, ListComp, DictComp, SetComp))
_MUTABLE_CALLS = frozenset(
    ("list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter")
)
_PATTERN_BINDERS = frozenset((ast.MatchAs, ast.MatchStar, ast.MatchMapping))
_BROAD = frozenset(("Exception", "BaseException"))
_NOT_CHILDREN = frozenset(
    ("ctx", "op", "ops", "id", "attr", "name", "names", "module", "level", "kind",
     "conversion", "type_comment", "is_async", "arg", "rest", "kwd_attrs", "tag")
)
FIELDS: dict[type[ast.AST], tuple[str, ...]] = {Constant: (), ast.MatchSingleton: ()}


def fields_of(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that may hold child nodes (cached in ``FIELDS``)."""
    fields = tuple(f for f in cls._fields if f not in _NOT_CHILDREN)
    FIELDS[cls] = fields
    return fields


def is_mutable_default(node: ast.expr) -> bool:
    """A list/dict/set display or comprehension, or a call of a mutable container type."""
    if type(node) in _MUTABLE_LITERALS:
        return True
    if isinstance(node, Call):
        return _called_name(node) in _MUTABLE_CALLS
    return False


def _called_name(call: Call) -> str:
    """``f`` of ``f(...)`` and ``m`` of ``x.m(...)``; '' for any other callee."""
    func = call.func
    if isinstance(func, Name):
        return func.id
    if isinstance(func, Attribute):
        return func.attr
    return ""


def is_pure(node: ast.expr) -> bool:
    """True for values whose evaluation cannot have side effects (literals, names)."""
    if isinstance(node, (Constant, Name)):
        return True
    if isinstance(node, (Tuple, List, Set)):
        return all(is_pure(e) for e in node.elts)
    if isinstance(node, Dict):
        return all(k is not None and is_pure(k) for k in node.keys) and all(
            is_pure(v) for v in node.values
        )
    if isinstance(node, UnaryOp):
        return type(node.operand) is Constant
    return False


def is_broad(node: ast.expr | None) -> bool:
    """``except`` type that catches everything: Exception, BaseException (or a tuple with one)."""
    if node is None:
        return False
    if isinstance(node, Name):
        return node.id in _BROAD
    if isinstance(node, Attribute):
        value = node.value
        return node.attr in _BROAD and isinstance(value, Name) and value.id == "builtins"
    if isinstance(node, Tuple):
        return any(is_broad(e) for e in node.elts)
    return False


def swallows(body: list[ast.stmt], bound: str | None = None) -> bool:
    """The handler body only passes, continues, breaks or returns a plain value.

    A body that mentions the caught exception (``bound``) anywhere hands it on
    (``return (error, None)``), so it does not count.
    """
    for stmt in body:
        if isinstance(stmt, (Pass, Continue, Break)):
            continue
        if isinstance(stmt, Expr) and type(stmt.value) is Constant:
            continue
        if isinstance(stmt, Return):
            value = stmt.value
            if value is None or type(value) is Attribute or is_pure(value):
                continue
        return False
    return bound is None or not mentions(body, bound)


def mentions(nodes: Sequence[ast.AST], name: str) -> bool:
    """``name`` is read anywhere in the nodes."""
    return any(isinstance(node, Name) and node.id == name
               for root in nodes for node in ast.walk(root))


def binds_or_yields(stmts: list[ast.stmt]) -> tuple[bool, bool]:
    """(binds a name in this scope, contains yield/yield from in this scope).

    Nested function and class bodies are their own scopes and are skipped, but
    their names (and lambdas' defaults) are bound or evaluated here.
    """
    binds = yields = False
    todo: list[ast.AST] = list(stmts)
    while todo:
        node = todo.pop()
        t = type(node)
        if t is ast.Yield or t is ast.YieldFrom:
            yields = True
        elif t in FUNCS or t is ClassDef:
            binds = True
            continue
        elif t is Lambda:
            continue
        elif t in (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.NamedExpr):
            binds = True
        elif isinstance(node, Name) and type(node.ctx) is not ast.Load:
            binds = True
        elif isinstance(node, ast.ExceptHandler) and node.name or t in _PATTERN_BINDERS:
            binds = True  # (comprehension targets count too: conservative, never wrong)
        todo.extend(ast.iter_child_nodes(node))
    return binds, yields


def finally_jumps(body: list[ast.stmt]) -> list[ast.stmt]:
    """``return`` / ``break`` / ``continue`` that leave a ``finally`` block.

    Such a jump discards the exception being propagated (B012). ``break`` and
    ``continue`` of a loop inside the block, and anything in nested definitions,
    stay inside and are not counted.
    """
    out: list[ast.stmt] = []
    todo: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in body]
    while todo:
        node, in_loop = todo.pop()
        if isinstance(node, Return) or (not in_loop and isinstance(node, (Break, Continue))):
            out.append(node)
            continue
        if isinstance(node, (*FUNCS, ClassDef)):
            continue
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            todo.extend((child, True) for child in node.body)
            todo.extend((child, in_loop) for child in node.orelse)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.ExceptHandler, ast.match_case)):
                todo.append((child, in_loop))
    out.sort(key=lambda n: (n.lineno, n.col_offset))
    return out


_IMPORT_ERRORS = frozenset(("ImportError", "ModuleNotFoundError"))


def catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    """A handler catches ImportError / ModuleNotFoundError (or everything)."""
    for handler in handlers:
        kind = handler.type
        types = kind.elts if type(kind) is Tuple else [kind]
        for node in types:
            if node is None or is_broad(node):
                return True
            name = node.id if type(node) is Name else getattr(node, "attr", None)
            if name in _IMPORT_ERRORS:
                return True
    return False


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING`` (the test of an ``if``)."""
    return (type(test) is Name and test.id == "TYPE_CHECKING") or (
        type(test) is Attribute and test.attr == "TYPE_CHECKING")


def has_raise(body: list[ast.stmt]) -> bool:
    """A ``raise`` anywhere in the statements (nested definitions excluded)."""
    todo: list[ast.AST] = list(body)
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
    if isinstance(node, (List, Tuple)):
        out = []
        for elt in node.elts:
            if type(elt) is not Constant or not isinstance(elt.value, str):
                return None
            out.append(elt.value)
        return out
    return None


# callables that call a function argument before they return (ruff's B023 list, abridged)
IMMEDIATE_CONSUMERS = frozenset((
    "all", "any", "filter", "map", "max", "min", "sorted", "sum", "list", "tuple", "set",
    "dict", "frozenset", "next", "enumerate", "zip", "reduce", "accumulate", "groupby",
    "takewhile", "dropwhile", "filterfalse", "starmap", "sort", "apply",
))


def consumed_now(call: Call, into: set[int]) -> None:
    """Record the lambdas ``call`` calls before it returns (``key=`` or a known consumer)."""
    if _called_name(call) in IMMEDIATE_CONSUMERS:
        into.update(id(arg) for arg in call.args if type(arg) is Lambda)
    for kw in call.keywords:
        if kw.arg == "key" and type(kw.value) is Lambda:
            into.add(id(kw.value))
