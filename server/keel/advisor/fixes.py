"""Rule-based fixes: ``rule_fix(source, uri, finding_id) -> FixResult | None``.

Each fix is an edit of the given text; a fix is only proposed when the fixed
text still parses. Each carries ``safety`` ("safe": behaviour preserved;
"unsafe": changed on purpose or not provably kept) and ``safety_reason``, set
by the rule that found it (docs/advisor.md has the table). What each rule's
fix does:

- mutable-default-argument (libcst): the default becomes ``None`` and
  ``if x is None: x = <old default>`` is inserted at the top of the body, after
  the docstring (a one-line body is split onto lines). An annotation gains
  ``| None`` unless it already mentions None/Optional (this assumes Python >=
  3.10 or ``from __future__ import annotations``). Not offered for lambdas.
- bare-except: ``except:`` becomes ``except Exception:``, so KeyboardInterrupt,
  SystemExit and cancellation propagate again. When the handler also discards
  what it catches, it logs it too (as below): a fix never trades one finding
  for another (``except Exception: pass`` would be a swallowed-exception).
- swallowed-exception: the handler first logs the exception with its traceback
  at DEBUG level, on the line of its first statement, through the module's own
  logger when it has one (``log = logging.getLogger(__name__)``), else
  ``logging.getLogger(__name__)``, adding ``import logging`` to the module's
  imports when needed (``fix_logging``). Control flow is unchanged (no
  re-raise is added: that could break callers).
- unused-import (libcst): the name is removed from its import; the statement
  goes when it was the only name (``pass`` when a block would be left empty).
- unused-variable: only when every binding can go safely: ``x = <literal or
  name>`` statements are removed (a value with possible side effects is never
  removed: such findings are not fixable), ``with f() as x`` loses ``as x``,
  ``except E as x`` loses ``as x``.
- unreachable-code: the unreachable statements are removed.
- is-literal: ``is`` / ``is not`` between the two operands becomes ``==`` / ``!=``.
- fstring-no-placeholder: the ``f`` of the prefix goes (offered only when the
  plain literal evaluates to the same string: ``{{`` escapes or implicit
  concatenation with other f-strings are left to the user).
- duplicate-dict-key: a repeated entry whose constant value equals the one before
  it is removed (``dict_keys``: offered only when provably nothing changes).
- shadowed-builtin: a function's local variable is renamed with a trailing
  underscore at every use (``rename``: offered only when provably safe).

``None`` means no such finding (or it is not fixable); ``find_finding`` tells
the two apart.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from keel.protocol import AdvisorThresholds, Finding, FixSafety, TextEdit

from .catalog import RULES
from .edits import (
    OffsetEdit,
    apply_offset_edits,
    minimal_edit,
    remove_statements,
    statement_end_offset,
    to_text_edits,
)
from .engine import Analysis, _wire, analyze, gc_paused
from .facts import RawFinding
from .fix_logging import log_edits
from .fixes_bugs import Fixed, fix_duplicate_key, fix_fstring, fix_is_literal, fix_rename
from .source import SourceMap
from .syntax import swallows
from .workspace import ExternalUse

FIXABLE_RULES = frozenset(rule for rule, spec in RULES.items() if spec.fixable)

@dataclass
class FixResult:
    edits: list[TextEdit]
    explanation: str
    safety: FixSafety = "unsafe"  # "safe": behaviour preserved; "unsafe": review first
    safety_reason: str = ""
    # an action, as a quick fix is titled: "Remove unused import 'os'"; "(unsafe)" marks
    # a fix to review
    title: str = ""


def find_finding(source: str, uri: str, finding_id: str,
                 thresholds: AdvisorThresholds | None = None,
                 usage: ExternalUse | None = None) -> Finding | None:
    """The current finding with this id, or None."""
    with gc_paused():
        return _find(analyze(source, uri, thresholds, usage=usage), finding_id, uri)


def _find(analysis: Analysis, finding_id: str, uri: str) -> Finding | None:
    raw = analysis.find(finding_id)
    return None if raw is None else _wire(raw, analysis.source, uri)


def rule_fix(source: str, uri: str, finding_id: str,
             thresholds: AdvisorThresholds | None = None,
             usage: ExternalUse | None = None) -> FixResult | None:
    """The rule fix of a finding, or None (no such finding, or no fix for it); ``usage``:
    what the workspace uses of this module (its safety label, as ``analyze`` gives it)."""
    with gc_paused():
        return _rule_fix(analyze(source, uri, thresholds, usage=usage), source, finding_id)


def _rule_fix(analysis: Analysis, source: str, finding_id: str) -> FixResult | None:
    raw = analysis.find(finding_id)
    if raw is None or not raw.fixable or raw.rule not in _FIXERS:
        return None
    try:
        fixed = _FIXERS[raw.rule](analysis, raw)
    except (cst.ParserSyntaxError, RecursionError, ValueError, StopIteration):
        return None
    if fixed is None:
        return None
    edits, title, explanation = fixed
    try:
        ast.parse(apply_offset_edits(source, edits))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    safety = raw.safety or "unsafe"
    return FixResult(edits=to_text_edits(analysis.source, edits), explanation=explanation,
                     safety=safety, safety_reason=raw.safety_reason,
                     title=title + (" (unsafe)" if safety == "unsafe" else ""))


# -- helpers ---------------------------------------------------------------


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _indent_unit(sm: SourceMap) -> str:
    for text in sm.lines:
        lead = _leading(text)
        if lead and text.strip():
            if "\t" in lead:
                return "\t"
            return lead if len(lead) in (2, 3, 4, 8) else "    "
    return "    "


def _cst_segment(sm: SourceMap, stmt: ast.stmt) -> tuple[int, str, cst.Module]:
    start = sm.offset(stmt.lineno - 1, sm.char_col(stmt.lineno - 1, stmt.col_offset))
    end = statement_end_offset(sm, stmt)
    segment = sm.source[start:end]
    return start, segment, cst.parse_module(segment)


def _render(module: cst.Module, segment: str) -> str:
    code = module.code
    if not segment.endswith("\n") and code.endswith("\n"):
        code = code.rstrip("\r\n")
    return code


# -- mutable-default-argument --------------------------------------------


def _none_annotation(module: cst.Module,
                     annotation: cst.Annotation | None) -> cst.Annotation | None:
    if annotation is None:
        return None
    expr = annotation.annotation
    text = module.code_for_node(expr)
    if "None" in text or "Optional" in text or "Any" in text:
        return annotation
    if isinstance(expr, cst.SimpleString):
        quote = 3 if expr.value.endswith(('"""', "'''")) else 1
        value = expr.value[:-quote] + " | None" + expr.value[-quote:]
        return annotation.with_changes(annotation=expr.with_changes(value=value))
    return annotation.with_changes(annotation=cst.BinaryOperation(
        left=expr, operator=cst.BitOr(), right=cst.Name("None")))


def _fix_mutable_default(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    fact = raw.payload
    func = fact.func
    name = fact.param.arg
    start, segment, module = _cst_segment(sm, func)
    fn = module.body[0]
    if not isinstance(fn, cst.FunctionDef):
        return None
    params = fn.params
    groups = ("posonly_params", "params", "kwonly_params")
    default_code = None
    for group in groups:
        items = list(getattr(params, group))
        for index, param in enumerate(items):
            if param.name.value == name and param.default is not None:
                default_code = module.code_for_node(param.default)
                items[index] = param.with_changes(
                    default=cst.Name("None"),
                    annotation=_none_annotation(module, param.annotation))
                params = params.with_changes(**{group: items})
    if default_code is None:
        return None
    lines = sm.lines
    def_line = lines[func.lineno - 1]
    body = fn.body
    if isinstance(body, cst.IndentedBlock):
        first = func.body[0]
        unit = _leading(lines[first.lineno - 1])[len(_leading(def_line)):] or _indent_unit(sm)
        guard = _none_guard(name, default_code, unit)
        stmts = list(body.body)
        at = 1 if _is_docstring(stmts[0]) else 0
        stmts.insert(at, guard)
        new_body = body.with_changes(body=stmts)
    elif isinstance(body, cst.SimpleStatementSuite):  # one-line body: 'def f(x=[]): return x'
        unit = _indent_unit(sm)
        new_body = cst.IndentedBlock(
            body=[_none_guard(name, default_code, unit), cst.SimpleStatementLine(body=body.body)],
            header=body.trailing_whitespace,
            indent=_leading(def_line) + unit,
        )
    else:
        return None
    fn = fn.with_changes(params=params, body=new_body)
    new = _render(module.with_changes(body=[fn]), segment)
    return [minimal_edit(segment, new, start)], (
        f"Replace the mutable default of '{name}' with None"), (
        f"Default of '{name}' is now None; the function creates a fresh "
        f"{default_code} when '{name}' is None, so calls no longer share one object."
    )


def _none_guard(name: str, default_code: str, unit: str) -> cst.If:
    """``if name is None: name = <default>``, its body indented by ``unit``."""
    guard = cst.ensure_type(
        cst.parse_statement(f"if {name} is None:\n    {name} = {default_code}\n"), cst.If)
    return guard.with_changes(
        body=cst.ensure_type(guard.body, cst.IndentedBlock).with_changes(indent=unit))


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or not stmt.body:
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.SimpleString, cst.ConcatenatedString))


# -- except handlers -----------------------------------------------------


def _fix_bare_except(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    handler = raw.payload
    line0 = handler.lineno - 1
    at = sm.offset(line0, sm.char_col(line0, handler.col_offset) + len("except"))
    narrow = (at, at, " Exception")
    if swallows(handler.body, handler.name):  # 'except Exception: pass' would be reported
        return [narrow, *log_edits(sm, an.tree, handler)], (
            "Narrow bare except to Exception and log it"), (
            "'except:' narrowed to 'except Exception:' so KeyboardInterrupt, SystemExit and "
            "cancellation propagate; ordinary exceptions are still caught, and now logged "
            "with their traceback at DEBUG level instead of vanishing.")
    return [narrow], "Narrow bare except to Exception", (
        "'except:' narrowed to 'except Exception:' so KeyboardInterrupt, SystemExit and "
        "cancellation propagate; ordinary exceptions are still caught."
    )


def _fix_swallowed(an: Analysis, raw: RawFinding) -> Fixed:
    return log_edits(an.source, an.tree, raw.payload), "Log the swallowed exception", (
        "The handler now logs the exception and its traceback at DEBUG level before "
        "carrying on as before, so the failure is no longer invisible. Consider catching "
        "a narrower exception type."
    )


# -- unused-import -------------------------------------------------------


def _fix_unused_import(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    imp = raw.payload
    stmt = imp.stmt
    if len(stmt.names) == 1:
        return [remove_statements(sm, imp.block, imp.index, imp.index)], (
            f"Remove unused import '{imp.bound}'"), f"Removed the unused import of '{imp.bound}'."
    start, segment, module = _cst_segment(sm, stmt)
    line = module.body[0]
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    node = line.body[0]
    if not isinstance(node, (cst.Import, cst.ImportFrom)) or isinstance(node.names, cst.ImportStar):
        return None
    names = list(node.names)
    removed = names.pop(imp.alias_index)
    if imp.alias_index == len(names):  # the last name went: its comma (or none) moves up
        names[-1] = names[-1].with_changes(comma=removed.comma)
    line = line.with_changes(body=[node.with_changes(names=names), *line.body[1:]])
    new = _render(module.with_changes(body=[line]), segment)
    return [minimal_edit(segment, new, start)], f"Remove unused import '{imp.bound}'", (
        f"Removed '{imp.bound}' from the import; the other names stay.")


# -- unused-variable -----------------------------------------------------


def _remove_as(sm: SourceMap, left_end: int, name_end: int) -> OffsetEdit:
    between = sm.source[left_end:name_end]
    at = between.rfind(" as")
    if at < 0:
        raise ValueError("no 'as' found")
    cut = left_end + len(between[:at + 1].rstrip())
    return (cut, name_end, "")


def _fix_unused_variable(an: Analysis, raw: RawFinding) -> Fixed:
    sm = an.source
    edits: list[OffsetEdit] = []
    runs: dict[int, tuple[list[ast.stmt], list[int]]] = {}
    for store in raw.payload:
        if store.kind in ("assign", "annassign"):
            runs.setdefault(id(store.block), (store.block, []))[1].append(store.index)
        elif store.kind == "with":
            item = next(i for i in store.stmt.items if i.optional_vars is store.node)
            edits.append(_remove_as(sm, sm.node_offsets(item.context_expr)[1],
                                    sm.node_offsets(store.node)[1]))
        elif store.kind == "except":
            handler = store.node
            type_end = sm.node_offsets(handler.type)[1]
            match = re.compile(r"\)?\s*as\s+" + re.escape(handler.name) + r"\b").match(
                sm.source, type_end)
            if match is None:
                return None
            edits.append(_remove_as(sm, type_end, match.end()))
        else:
            return None
    for block, indexes in runs.values():
        indexes = sorted(set(indexes))
        start = prev = indexes[0]
        for index in [*indexes[1:], None]:
            if index is not None and index == prev + 1:
                prev = index
                continue
            edits.append(remove_statements(sm, block, start, prev))
            if index is not None:
                start = prev = index
    first = raw.payload[0]
    name = first.node.name if first.kind == "except" else first.node.id
    how = {"assign": "removed its assignment (the value has no side effects)",
           "annassign": "removed its assignment (the value has no side effects)",
           "with": "dropped 'as' from the with statement (the context manager still runs)",
           "except": "dropped 'as' from the except clause"}
    done = "; ".join(dict.fromkeys(how[store.kind] for store in raw.payload))
    return edits, f"Remove unused variable '{name}'", f"'{name}' was never read: {done}."


# -- unreachable-code ----------------------------------------------------


def _fix_unreachable(an: Analysis, raw: RawFinding) -> Fixed:
    block, first = raw.payload
    return [remove_statements(an.source, block, first, len(block) - 1)], (
        "Remove unreachable code"), "Removed the statements that can never run."


_FIXERS: dict[str, Callable[[Analysis, RawFinding], Fixed]] = {
    "mutable-default-argument": _fix_mutable_default,
    "bare-except": _fix_bare_except,
    "swallowed-exception": _fix_swallowed,
    "unused-import": _fix_unused_import,
    "unused-variable": _fix_unused_variable,
    "unreachable-code": _fix_unreachable,
    "is-literal": fix_is_literal,
    "fstring-no-placeholder": fix_fstring,
    "duplicate-dict-key": fix_duplicate_key,
    "shadowed-builtin": fix_rename,
}

__all__ = ["FIXABLE_RULES", "FixResult", "find_finding", "rule_fix"]
