"""Scope rules: loop-variable-closure (ruff B023), redefined-unused-name (pyflakes F811).

loop-variable-closure: a ``lambda`` or ``def`` inside a ``for`` loop reads the
loop's target variable without binding it (e.g. as a default, ``lambda i=i:``),
so every closure sees the variable's *last* value. Not reported when the lambda
goes straight to something that calls it at once (``sorted(key=...)``,
``map``, ``filter`` ... see ``syntax.IMMEDIATE_CONSUMERS``), or when a ``def``
is not stored beyond the iteration (appended, assigned, returned, connected ...).

redefined-unused-name: in one block (module, class or function body), a
``def``, ``class`` or import binds a name that an earlier ``def``/``class``/
import of the same block bound, and nothing between them (the decorators of the
second included: ``@x.setter``) reads it. The first definition is dead code.
``typing.overload`` stubs and ``_`` are left alone; definitions in different
branches (``if``/``else``, ``try``/``except ImportError``) are different blocks.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from .facts import Closure, Loop, RawFinding
from .rules_common import RuleContext, def_name_span, display, finding, node_span
from .source import normalise

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


def _targets(target: ast.expr) -> set[str]:
    return {node.id for node in ast.walk(target) if type(node) is ast.Name}


def _body(func: Closure) -> Sequence[ast.AST]:
    return [func.body] if isinstance(func, ast.Lambda) else func.body


def _own_bindings(func: Closure) -> set[str]:
    args = func.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for node in (n for root in _body(func) for n in ast.walk(root)):
        if isinstance(node, ast.Name) and type(node.ctx) is not ast.Load:
            names.add(node.id)
    return names


def _reads(func: Closure) -> set[str]:
    return {n.id for root in _body(func) for n in ast.walk(root)
            if isinstance(n, ast.Name) and type(n.ctx) is ast.Load}


_STORING = frozenset(("append", "extend", "add", "insert", "appendleft", "setdefault", "put",
                      "connect", "register", "submit", "call_soon", "call_later",
                      "add_done_callback", "bind", "after", "Thread", "Timer", "partial"))


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _stored(name: str, loop: Loop) -> bool:
    """The def outlives the iteration: stored, returned, or handed to something that keeps
    it (``append``, ``connect``, ``Thread(target=...)`` ...). Passing it to a function that
    calls it at once (``scanvars(reader, ...)``) is not counted."""
    for node in (n for stmt in loop.body for n in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if type(func) is ast.Name else getattr(func, "attr", "")
            if called in _STORING and any(_is_name(a, name) for a in node.args):
                return True
            if any(kw.arg in ("target", "callback") and _is_name(kw.value, name)
                   for kw in node.keywords):
                return True
        elif isinstance(node, (ast.Assign, ast.Yield, ast.AnnAssign)) \
                and node.value is not None:  # 'return f' ends the loop: no later value
            value = node.value
            items = value.elts if isinstance(value, (ast.Tuple, ast.List, ast.Set)) else [value]
            if any(_is_name(item, name) for item in items):
                return True
        elif isinstance(node, ast.Dict) and any(_is_name(v, name) for v in node.values):
            return True
    return False


def _closures(ctx: RuleContext) -> list[RawFinding]:
    sm, facts = ctx.sm, ctx.facts
    out: list[RawFinding] = []
    if not facts.closures:
        return out
    by_node = {id(fn.node): fn for fn in facts.functions}
    for loops, func, qual in facts.closures:
        if id(func) in facts.consumed:
            continue
        loop_vars: set[str] = set().union(*(_targets(loop.target) for loop in loops))
        if isinstance(func, ast.Lambda):
            what, span = "Lambda", node_span(sm, func)
        else:
            fn = by_node.get(id(func))
            if fn is not None and not (fn.loads & loop_vars):
                continue  # the walk already knows every name the def reads: none is a loop var
            what, span = f"Function '{func.name}'", def_name_span(sm, func)
        late = sorted((_reads(func) - _own_bindings(func)) & loop_vars)
        if not late:
            continue
        if not isinstance(func, ast.Lambda) and not _stored(func.name, loops[-1]):
            continue
        names = ", ".join(f"'{name}'" for name in late)
        out.append(finding(
            "loop-variable-closure", span,
            f"{what} in '{display(qual)}' reads the loop variable {names} when it is "
            f"called, not when it is defined: every call sees the last value.",
            qual, f"{','.join(late)}:{normalise(sm.segment(func))[:200]}",
        ))
    return out


def _bound(stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import
           | ast.ImportFrom) -> list[str]:
    if isinstance(stmt, _DEFS):
        return [stmt.name]
    if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
        return []
    return [(a.asname or a.name.split(".")[0]) for a in stmt.names if a.name != "*"]


def _is_overload(stmt: ast.stmt) -> bool:
    for decorator in getattr(stmt, "decorator_list", ()):
        name = decorator.id if type(decorator) is ast.Name else getattr(decorator, "attr", "")
        if name == "overload":
            return True
    return False


def _read_between(name: str, stmts: list[ast.stmt]) -> bool:
    return any(type(n) is ast.Name and n.id == name and type(n.ctx) is not ast.Store
               for stmt in stmts for n in ast.walk(stmt))


def _redefinitions(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    out: list[RawFinding] = []
    for block, qual in ctx.facts.blocks:
        last: dict[str, int] = {}
        for index, stmt in enumerate(block):
            if not isinstance(stmt, _DEFS + _IMPORTS):
                continue
            for name in _bound(stmt):
                before = last.get(name)
                last[name] = index
                if before is None or name == "_" or _is_overload(block[before]):
                    continue
                first, second = block[before], stmt
                between = block[before + 1:index] + list(getattr(second, "decorator_list", ()))
                if isinstance(second, ast.ClassDef):  # its bases and body run before it binds
                    between += second.bases + [kw.value for kw in second.keywords] + [
                        stmt for stmt in second.body
                        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)]
                if isinstance(first, _IMPORTS) and isinstance(second, _IMPORTS):
                    continue  # duplicate imports: harmless, and often a fallback pattern
                if _read_between(name, between):
                    continue
                span = def_name_span(sm, first) if isinstance(first, _DEFS) else node_span(sm, first)
                out.append(finding(
                    "redefined-unused-name", span,
                    f"'{name}' defined on line {first.lineno} in '{display(qual)}' is redefined "
                    f"on line {second.lineno} before it is used: the first definition is dead.",
                    qual, f"{name}:{normalise(sm.segment(first))[:200]}",
                ))
    return out


def check(ctx: RuleContext) -> list[RawFinding]:
    return _closures(ctx) + _redefinitions(ctx)
