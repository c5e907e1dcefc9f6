"""When a broad handler that discards the exception is deliberate (swallowed-exception).

Ruff's BLE001/S110 report every ``except Exception: pass``; reviewers do not, where
the code's context makes discarding the exception the contract, so these are left
alone (each was a false positive in the sampled corpus, ``bench/advisor_precision_*``):

- a comment says why: on the handler's lines, on comment lines right above its
  ``except`` (at the same indentation), or trailing inside its block;
- ``__del__``: Python cannot propagate an exception from a finaliser (it prints
  "Exception ignored in" and goes on), so best-effort cleanup there is the idiom;
- a repr (``__repr__``, or a helper named ``...repr``): it runs on half-built or
  broken objects, in error messages and debuggers, and must not raise
  (``reprlib`` does the same);
- a decorator's wrapper whose body is ``return func(*args, **kwargs)`` for a
  ``func`` the decorator received (click's ``_safecall``): swallowing is what the
  decorator is for, chosen where it is applied;
- a Django template filter (``@register.filter`` on a ``django.template.Library``):
  Django's documented contract is that filters never raise;
- the failure is checked later: the ``try`` only assigns ``name = ...`` and a later
  ``if`` that tests ``name`` raises (Django's ``AppConfig.create``), so the error
  is not silent.

Everything else that discards every exception is still reported, commented or
not elsewhere, in ``__init__`` or ``__str__``, in a plain function calling a
callback, in a Django tag, or with a later check that does not raise.
"""

from __future__ import annotations

import ast
from urllib.parse import unquote, urlparse

from .facts import FunctionFacts, HandlerFact
from .frameworks import dotted, import_aliases
from .source import SourceMap, node_end
from .syntax import mentions

_LIBRARY = frozenset({"django.template.Library", "django.template.library.Library"})
_FILTER_DECORATORS = frozenset({"filter"})


def commented(sm: SourceMap, handler: ast.ExceptHandler) -> bool:
    """A comment on the handler's lines, right above its ``except`` at the same
    indentation, or trailing inside its block (after the last statement)."""
    end = node_end(handler)[0]
    if any("#" in sm.line_text(line0) for line0 in range(handler.lineno - 1, end)):
        return True
    indent = handler.col_offset
    above = handler.lineno - 2
    text = sm.line_text(above)
    if text.strip().startswith("#") and len(text) - len(text.lstrip()) == indent:
        return True
    after = end  # 0-based index of the line after the handler's last line
    while after < len(sm.lines):
        text = sm.line_text(after)
        stripped = text.strip()
        if not stripped:
            after += 1
            continue
        return stripped.startswith("#") and len(text) - len(text.lstrip()) > indent
    return False


def _forwards(fn: FunctionFacts, stmt: ast.stmt) -> bool:
    """``return func(*args, **kwargs)`` (or the bare call) for a ``func`` the enclosing
    function received, forwarding this function's own ``*args``/``**kwargs``."""
    outer = fn.outer
    if outer is None or not isinstance(stmt, ast.Return | ast.Expr):
        return False
    call = stmt.value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        return False
    params = outer.node.args
    received = {a.arg for a in params.posonlyargs + params.args + params.kwonlyargs}
    if call.func.id not in received:
        return False
    args = fn.node.args
    star = args.vararg.arg if args.vararg else None
    double = args.kwarg.arg if args.kwarg else None
    forwarded = {a.value.id for a in call.args
                 if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)}
    forwarded |= {k.value.id for k in call.keywords
                  if k.arg is None and isinstance(k.value, ast.Name)}
    return bool(forwarded) and forwarded <= {star, double}


def _absolute(origin: str, uri: str) -> str:
    """A relative import origin (``.library.Library``) made absolute by the file's
    folders (``django/template/defaultfilters.py`` -> ``django.template.library.Library``);
    only its tail matters, so the folders above the package do no harm."""
    level = len(origin) - len(origin.lstrip("."))
    if not level:
        return origin
    folders = [part for part in unquote(urlparse(uri).path).split("/")[:-1] if part]
    base = folders[: len(folders) - (level - 1)] if level > 1 else folders
    return ".".join((*base, origin[level:]))


def _libraries(tree: ast.Module, uri: str) -> set[str]:
    """Module-level names bound to a ``django.template.Library()``."""
    aliases = import_aliases(tree)
    out = set()
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
                and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            origin = dotted(stmt.value.func, aliases)
            if origin and any(_absolute(origin, uri).endswith(lib) for lib in _LIBRARY):
                out.add(stmt.targets[0].id)
    return out


def _template_filter(fn: FunctionFacts, libraries: set[str]) -> bool:
    for decorator in fn.node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(func, ast.Attribute) and func.attr in _FILTER_DECORATORS
                and isinstance(func.value, ast.Name) and func.value.id in libraries):
            return True
    return False


def _checked_later(fn: FunctionFacts, fact: HandlerFact) -> bool:
    """``try: name = ...`` discarding the error, then ``if ...name...: ... raise``."""
    body = fact.try_stmt.body
    if len(body) != 1 or not isinstance(body[0], ast.Assign | ast.AnnAssign):
        return False
    target = body[0].targets[0] if isinstance(body[0], ast.Assign) else body[0].target
    if not isinstance(target, ast.Name):
        return False
    after = node_end(fact.try_stmt)[0]
    for node in ast.walk(fn.node):
        if (isinstance(node, ast.If) and node.lineno > after
                and mentions([node.test], target.id)
                and any(isinstance(inner, ast.Raise) for inner in ast.walk(node))):
            return True
    return False


class HandlerIntent:
    """Answers "is discarding the exception here deliberate?" for one module."""

    def __init__(self, sm: SourceMap, tree: ast.Module, uri: str) -> None:
        self._sm = sm
        self._tree = tree
        self._uri = uri
        self._libraries: set[str] | None = None

    def deliberate(self, fact: HandlerFact) -> bool:
        if commented(self._sm, fact.handler):
            return True
        fn = fact.fn
        if fn is None:
            return False
        name = fn.name
        if name in ("__del__", "__repr__") or (name.endswith("repr") and name != "repr"):
            return True
        body = fact.try_stmt.body
        if len(body) == 1 and _forwards(fn, body[0]):
            return True
        if fn.node.decorator_list:
            if self._libraries is None:
                self._libraries = _libraries(self._tree, self._uri)
            if self._libraries and _template_filter(fn, self._libraries):
                return True
        return all(isinstance(s, ast.Pass) for s in fact.handler.body) \
            and _checked_later(fn, fact)
