"""Size rules: long-function, too-many-parameters, large-class.

Line counts are physical lines from the ``def``/``class`` line to the last line
of the body (decorators excluded, blank and comment lines included). A
function's docstring does not count towards long-function: documenting a
function must never be what makes it "too long".
"""

from __future__ import annotations

import ast

from .facts import FunctionFacts, RawFinding
from .rules_common import (
    RuleContext,
    def_name_span,
    finding,
    func_label,
    header_anchor,
    plural,
)
from .source import node_end


def _parameters(fn: FunctionFacts) -> list[str]:
    args = fn.node.args
    names = [a.arg for a in args.posonlyargs + args.args]
    if fn.is_method and names and not _is_static(fn.node):
        names = names[1:]  # self / cls
    if args.vararg is not None:
        names.append("*" + args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg is not None:
        names.append("**" + args.kwarg.arg)
    return names


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr == "staticmethod":
            return True
    return False


def _lines(node: ast.stmt) -> int:
    """Physical lines from the node's first line (decorators excluded) to its last."""
    return node_end(node)[0] - node.lineno + 1


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    if type(first) is ast.Expr and type(first.value) is ast.Constant \
            and isinstance(first.value.value, str):
        return _lines(first)
    return 0


def check(ctx: RuleContext) -> list[RawFinding]:
    sm, th = ctx.sm, ctx.thresholds
    out: list[RawFinding] = []
    for fn in ctx.facts.functions:
        node = fn.node
        lines = _lines(node) - _docstring_lines(node)
        if lines > th.max_function_lines:
            out.append(finding(
                "long-function", def_name_span(sm, node),
                f"{func_label(fn)} is {lines} lines long (limit {th.max_function_lines}).",
                fn.qual, header_anchor(sm, node),
            ))
        params = _parameters(fn)
        if len(params) > th.max_parameters:
            out.append(finding(
                "too-many-parameters", def_name_span(sm, node),
                f"{func_label(fn)} takes {plural(len(params), 'parameter')} "
                f"(limit {th.max_parameters}): {', '.join(params)}.",
                fn.qual, header_anchor(sm, node),
            ))
    for cls in ctx.facts.classes:
        lines = _lines(cls.node)
        too_long = lines > th.max_class_lines
        too_many = cls.methods > th.max_class_methods
        if not (too_long or too_many):
            continue
        parts = []
        if too_long:
            parts.append(f"is {lines} lines long (limit {th.max_class_lines})")
        if too_many:
            parts.append(f"defines {plural(cls.methods, 'method')} "
                         f"(limit {th.max_class_methods})")
        out.append(finding(
            "large-class", def_name_span(sm, cls.node),
            f"Class '{cls.qual}' {' and '.join(parts)}.", cls.qual, header_anchor(sm, cls.node),
        ))
    return out
