"""The logging call a handler fix adds, in the module's own style.

A module-level logger (``log = logging.getLogger(__name__)``, ``logger =
structlog.get_logger()``) is used when the module has one; otherwise
``logging.getLogger(__name__)``, with ``import logging`` added to the module's
imports when it has none. Never ``__import__("logging")``: a reviewer would
not accept it. The call is the handler's first statement, on its own line (it
replaces a lone ``pass``).

The fix is offered only where logging is already the code's style (``logs``):
the module imports ``logging`` or has a module-level logger, or another module
of the project (tests left out) imports ``logging``. Bringing logging into a
library that never logs (click) is a design decision for its authors, not a fix
a reviewer accepts; there the finding has no rule fix (the LLM fix path remains).
"""

from __future__ import annotations

import ast
import sys

from .edits import OffsetEdit, statement_start_offset
from .source import SourceMap

_LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "getChild"})
MESSAGE = '"Ignored exception", exc_info=True'


def _module_logger(tree: ast.Module, before: int) -> str | None:
    """The name of a module-level ``NAME = <...>.getLogger(...)`` above line ``before``
    (one defined below may not exist yet when a module-level handler runs)."""
    for stmt in tree.body:
        if stmt.lineno >= before:
            break
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)):
            func = stmt.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _LOGGER_FACTORIES:
                return stmt.targets[0].id
    return None


def logs(tree: ast.Module, project_logs: bool) -> bool:
    """Whether adding a logging call follows the code's own style (see the docstring):
    ``project_logs`` (another module imports ``logging``), a module-level logger, or a
    module-level ``import logging`` / ``from logging import ...``."""
    if project_logs or _module_logger(tree, sys.maxsize) is not None:
        return True
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            if any(alias.name.split(".")[0] == "logging" for alias in stmt.names):
                return True
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level \
                and (stmt.module or "").split(".")[0] == "logging":
            return True
    return False


def _binds_logging(tree: ast.Module) -> tuple[bool, bool]:
    """(a top-level ``import logging``, ``logging`` bound to anything else anywhere)."""
    plain = other = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) != "logging":
                    continue
                if isinstance(node, ast.Import) and not alias.asname:  # the logging package
                    plain = plain or any(node is stmt for stmt in tree.body)
                else:
                    other = True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            other = other or node.id == "logging"
        elif isinstance(node, ast.arg):
            other = other or node.arg == "logging"
    return plain, other


def _import_at(sm: SourceMap, tree: ast.Module) -> OffsetEdit:
    """Where ``import logging`` goes: among the leading imports, in sorted position."""
    body = tree.body
    nl = _newline(sm.source)
    first = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        first = 1  # the docstring
    while first < len(body) and _is_future(body[first]):
        first += 1
    run = []
    for stmt in body[first:]:
        if not isinstance(stmt, ast.Import | ast.ImportFrom):
            break
        run.append(stmt)
    plain = [s for s in run if isinstance(s, ast.Import)]
    after = [s for s in plain if s.names[0].name > "logging"]
    anchor: ast.stmt
    if after:
        anchor, text = after[0], f"import logging{nl}"
    elif plain:
        end = _line_start(sm, plain[-1].end_lineno or plain[-1].lineno)
        return (end, end, f"import logging{nl}")
    elif run:
        anchor, text = run[0], f"import logging{nl}"
    elif first < len(body):
        anchor, text = body[first], f"import logging{nl}{nl}"
    else:  # only a docstring (or nothing): the import goes at the end
        return (len(sm.source), len(sm.source),
                (nl if sm.source and not sm.source.endswith(("\n", "\r")) else "") + f"import logging{nl}")
    decorators = getattr(anchor, "decorator_list", None)
    start = _line_start(sm, (decorators[0] if decorators else anchor).lineno - 1)
    return (start, start, text)


def _is_future(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _line_start(sm: SourceMap, line0: int) -> int:
    return sm.offset(line0, 0) if line0 < len(sm.lines) else len(sm.source)


def _newline(source: str) -> str:
    return "\r\n" if "\r\n" in source else "\r" if "\r" in source else "\n"


def _call_edit(sm: SourceMap, handler: ast.ExceptHandler, call: str) -> OffsetEdit:
    """The call as the handler's first statement, on its own line: it replaces a lone
    ``pass``; a one-line handler (``except E: continue``) is split onto lines."""
    first = handler.body[0]
    at = statement_start_offset(sm, first)
    line0 = first.lineno - 1
    text = sm.line_text(line0)
    nl = _newline(sm.source)
    lone_pass = len(handler.body) == 1 and isinstance(first, ast.Pass)
    if not text[:sm.char_col(line0, first.col_offset)].strip():  # the body starts a line
        lead = text[:len(text) - len(text.lstrip(" \t"))]
        return (at, at + len("pass"), call) if lone_pass else (at, at, f"{call}{nl}{lead}")
    head = sm.line_text(handler.lineno - 1)
    head_lead = head[:len(head) - len(head.lstrip(" \t"))]
    indent = head_lead + ("\t" if "\t" in head_lead else "    ")
    colon = len(sm.source[:at].rstrip(" \t"))  # just after the handler's ':'
    if lone_pass:
        return (colon, at + len("pass"), f"{nl}{indent}{call}")
    return (colon, at, f"{nl}{indent}{call}{nl}{indent}")


def log_edits(sm: SourceMap, tree: ast.Module, handler: ast.ExceptHandler) -> list[OffsetEdit]:
    """Edits that make ``handler`` log what it catches at DEBUG level before going on.

    Raises ``ValueError`` when ``logging`` is bound to something else somewhere in
    the module (adding ``import logging`` could change what that name means).
    """
    logger = _module_logger(tree, handler.lineno)
    if logger is not None:
        return [_call_edit(sm, handler, f"{logger}.debug({MESSAGE})")]
    plain, other = _binds_logging(tree)
    if other:
        raise ValueError("'logging' is bound to something else in this module")
    call = _call_edit(sm, handler, f"logging.getLogger(__name__).debug({MESSAGE})")
    return [call] if plain else [_import_at(sm, tree), call]
