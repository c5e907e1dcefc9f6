"""Control-flow rules: high-complexity, deep-nesting, too-many-returns,
long-boolean-expression, unreachable-code, bare-except, swallowed-exception,
jump-in-finally.

bare-except is not reported when the handler passes on what it caught (``raise``,
``with util.safe_reraise():``, ``sys.exc_info()`` kept to re-raise);
swallowed-exception not where discarding the exception is deliberate
(``handler_intent``: a comment says why, ``__del__``, a repr, a swallowing
decorator's wrapper, a Django template filter, a failure checked later).
"""

from __future__ import annotations

import ast

from .facts import RawFinding
from .fix_logging import logs
from .handler_intent import HandlerIntent
from .rules_common import (
    RuleContext,
    def_name_span,
    display,
    finding,
    func_label,
    header_anchor,
    keyword_span,
    node_span,
    plural,
)
from .source import node_end, normalise
from .syntax import binds_or_yields

_JUMP = {ast.Return: "return", ast.Raise: "raise", ast.Continue: "continue", ast.Break: "break"}


def statement_start(stmt: ast.stmt) -> tuple[int, int]:
    """(lineno, byte col) where a statement starts, its decorators included."""
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        return decorators[0].lineno, stmt.col_offset
    return stmt.lineno, stmt.col_offset


def _functions(ctx: RuleContext) -> list[RawFinding]:
    sm, th = ctx.sm, ctx.thresholds
    out: list[RawFinding] = []
    for fn in ctx.facts.functions:
        node = fn.node
        if fn.cc > th.max_complexity:
            out.append(finding(
                "high-complexity", def_name_span(sm, node),
                f"{func_label(fn)} has a cyclomatic complexity of {fn.cc} "
                f"(limit {th.max_complexity}).",
                fn.qual, header_anchor(sm, node),
            ))
        if fn.max_depth > th.max_nesting and fn.deep_node is not None:
            deep = fn.deep_node
            out.append(finding(
                "deep-nesting", keyword_span(sm, deep),
                f"{func_label(fn)} nests blocks {fn.max_depth} levels deep "
                f"(limit {th.max_nesting}); the deepest starts on line {deep.lineno}.",
                fn.qual, header_anchor(sm, node),
            ))
        if fn.returns > th.max_returns:
            out.append(finding(
                "too-many-returns", def_name_span(sm, node),
                f"{func_label(fn)} has {fn.returns} return statements "
                f"(limit {th.max_returns}).",
                fn.qual, header_anchor(sm, node),
            ))
    return out


def _boolops(ctx: RuleContext) -> list[RawFinding]:
    sm, limit = ctx.sm, ctx.thresholds.max_boolean_operands
    out = []
    for node, count, qual, stmt in ctx.facts.boolops:
        if count > limit:
            out.append(finding(
                "long-boolean-expression", node_span(sm, node),
                f"Boolean expression in '{display(qual)}' has {count} operands "
                f"(limit {limit}).",
                qual, normalise(sm.segment(node)), context=[stmt] if stmt else None,
            ))
    return out


_SAFE_DEAD = "Safe: the statements can never run and bind no names."
_UNSAFE_DEAD = ("Unsafe: the statements bind names, which makes them local to the scope "
                "(or global/nonlocal) even though they never run; removing them changes "
                "which variable other code sees.")


def _unreachable(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    out = []
    for block, first, qual in ctx.facts.unreachable:
        jump = block[first - 1]
        dead = block[first:]
        binds, yields = binds_or_yields(dead)
        if yields:
            continue  # 'return; yield' makes the function a generator on purpose
        lineno, col = statement_start(dead[0])
        end_lineno, end_col = node_end(dead[-1])
        line0, end0 = lineno - 1, end_lineno - 1
        span = (line0, sm.char_col(line0, col), end0, sm.char_col(end0, end_col))
        start_offset = sm.offset(line0, span[1])
        end_offset = sm.offset(end0, span[3])
        item = finding(
            "unreachable-code", span,
            f"{plural(len(dead), 'statement')} in '{display(qual)}' after the "
            f"'{_JUMP[type(jump)]}' on line {jump.lineno} can never run.",
            qual, normalise(sm.source[start_offset:end_offset]),
            payload=(block, first), context=block[:first],
        )
        item.safety = "unsafe" if binds else "safe"
        item.safety_reason = _UNSAFE_DEAD if binds else _SAFE_DEAD
        out.append(item)
    return out


_UNSAFE_BARE = ("Unsafe: KeyboardInterrupt, SystemExit and GeneratorExit will now propagate "
                "instead of being caught (intended, but it changes behaviour).")
_UNSAFE_LOGGED = ("Unsafe: the handler now also logs at DEBUG level (and imports logging "
                  "where it runs); control flow is unchanged.")


def _handler_sites(ctx: RuleContext) -> dict[int, str]:
    """Each broad/bare handler's occurrence among handlers of equal try bodies in the
    same scope. A fix leaves the handler in place, so the others keep their index."""
    sm = ctx.sm
    seen: dict[tuple[str, str, int], int] = {}
    sites: dict[int, str] = {}
    for fact in ctx.facts.handlers:
        position = fact.try_stmt.handlers.index(fact.handler)
        body = "\n".join(normalise(sm.segment(node)) for node in fact.try_stmt.body)
        key = (fact.qual, body, position)
        index = seen.get(key, 0)
        seen[key] = index + 1
        sites[id(fact.handler)] = f"{position}:{index}"
    return sites


def _hands_on(handler: ast.ExceptHandler) -> bool:
    """The handler passes what it caught on: ``with util.safe_reraise():`` (SQLAlchemy's
    cleanup-then-re-raise idiom) or ``err = sys.exc_info()`` kept to re-raise later."""
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                func = call.func if isinstance(call, ast.Call) else call
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if "reraise" in name.lower():
                    return True
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "exc_info":
            return True
    return False


def _handlers(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    out = []
    sites = _handler_sites(ctx) if ctx.facts.handlers else {}
    intent = HandlerIntent(sm, ctx.tree, ctx.uri)
    # the fixes that add a logging call are offered only where logging is the code's style
    style = bool(ctx.facts.handlers) and logs(ctx.tree, ctx.usage is not None and ctx.usage.logs)
    for fact in ctx.facts.handlers:
        handler = fact.handler
        where = display(fact.qual)
        if fact.bare:
            if fact.reraises or _hands_on(handler):
                continue  # 'except: cleanup(); raise' is a legitimate idiom
            line0 = handler.lineno - 1
            col = sm.char_col(line0, handler.col_offset)
            tail = " and silently discards it" if fact.swallows else ""
            item = finding(
                "bare-except", (line0, col, line0, col + len("except")),
                f"Bare 'except:' in '{where}' catches every exception, including "
                f"KeyboardInterrupt, SystemExit and cancellation{tail}.",
                fact.qual, normalise(sm.segment(handler)), payload=handler,
                context=fact.try_stmt.body, fixable=style or not fact.swallows,
            )
            item.safety_reason = _UNSAFE_BARE
        elif fact.broad and fact.swallows and handler.type is not None \
                and not intent.deliberate(fact):  # broad: has a type
            line0 = handler.lineno - 1
            col = sm.char_col(line0, handler.col_offset)
            end_lineno, end_col = node_end(handler.type)
            end0 = end_lineno - 1
            caught = normalise(sm.segment(handler.type))
            item = finding(
                "swallowed-exception",
                (line0, col, end0, sm.char_col(end0, end_col)),
                f"'except {caught}' in '{where}' silently discards every exception: "
                f"its body only passes, continues or returns.",
                fact.qual, normalise(sm.segment(handler)), payload=handler,
                context=fact.try_stmt.body, fixable=style,
            )
            item.safety_reason = _UNSAFE_LOGGED
        else:
            continue
        item.safety = "unsafe"
        item.site = sites[id(handler)]
        out.append(item)
    return out


def _finally_jumps(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    out = []
    for jump, try_stmt, qual in ctx.facts.finally_jumps:
        word = _JUMP[type(jump)]
        out.append(finding(
            "jump-in-finally", keyword_span(sm, jump),
            f"'{word}' in the 'finally' block of the try on line {try_stmt.lineno} in "
            f"'{display(qual)}' discards any exception being raised.",
            qual, f"{word}:{normalise(sm.segment(jump))}", context=try_stmt.body,
        ))
    return out


def check(ctx: RuleContext) -> list[RawFinding]:
    return (_functions(ctx) + _boolops(ctx) + _unreachable(ctx) + _handlers(ctx)
            + _finally_jumps(ctx))
