"""Name rules: shadowed-builtin, unused-import, unused-variable, mutable-default-argument.

unused-import looks at module-level imports only. With the workspace's usage
(``RuleContext.usage``) it leaves out re-exports: names other modules import from
this one, every import of a module that is star-imported or imported by name,
and every import of a facade most of whose imports other modules take. A name counts as used when it
is read anywhere in the file (any scope), listed in a literal ``__all__``, or
named inside a string annotation. ``import x as x`` / ``from m import x as x``
are explicit re-exports and never reported; nor is anything in an
``__init__.py`` (its imports are the package's interface), nor anything when
``__all__`` is built dynamically.

unused-variable reports a function's own local that is bound by ``=``,
annotated assignment, ``with ... as``, ``except ... as`` or ``:=`` and never
read in the function (nested functions included). Names starting with ``_``,
``for`` targets, tuple unpacking and functions calling ``locals()``/``vars()``/
``eval``/``exec`` are left alone; ``x += 1`` counts as a read.

shadowed-builtin's fix renames a function's local variable (``id`` -> ``id_``)
when the function proves it safe (``rename``); parameters and module or class
names get no fix.
"""

from __future__ import annotations

import ast
import re

from .facts import (
    DefaultFact,
    FunctionFacts,
    ImportFact,
    RawFinding,
    ShadowFact,
    Span,
    StoreFact,
)
from .import_safety import import_safety
from .rename import rename_edits
from .rules_common import RuleContext, def_name_span, display, finding, keyword_span, node_span
from .source import SourceMap, node_end, normalise
from .suppress import line_rules

_SAFE_RENAME = ("Safe: a local variable, renamed at every use in the function; nothing "
                "binds it otherwise or reads it by name (locals(), eval, frames, strings).")
_KIND = {
    "variable": "Variable", "parameter": "Parameter", "function": "Function",
    "class": "Class", "import": "Import", "exception": "Exception variable",
}


def as_name_span(sm: SourceMap, handler: ast.ExceptHandler) -> Span:
    """The span of ``name`` in ``except T as name``."""
    if handler.type is None or handler.name is None:  # 'except:' binds no name
        return keyword_span(sm, handler)
    end_lineno, end_col = node_end(handler.type)
    line0 = end_lineno - 1
    col = sm.char_col(line0, end_col)
    pattern = re.compile(r"\)?\s*as\s+(" + re.escape(handler.name) + r")\b")
    match = pattern.match(sm.line_text(line0), col)
    if match is None:
        return keyword_span(sm, handler)
    return (line0, match.start(1), line0, match.end(1))


def alias_name_span(sm: SourceMap, alias: ast.alias, bound: str) -> Span:
    line0, col, end0, end = node_span(sm, alias)
    if alias.asname:
        return (end0, end - len(alias.asname), end0, end)
    return (line0, col, line0, col + len(bound))


def _shadow_span(sm: SourceMap, fact: ShadowFact) -> Span:
    node = fact.node
    if fact.kind in ("function", "class"):
        return def_name_span(sm, node)
    if fact.kind == "parameter":
        line0 = node.lineno - 1
        col = sm.char_col(line0, node.col_offset)
        return (line0, col, line0, col + len(fact.name))
    if isinstance(node, ast.alias):  # kind "import"
        return alias_name_span(sm, node, fact.name)
    if isinstance(node, ast.ExceptHandler):  # kind "exception"
        return as_name_span(sm, node)
    return node_span(sm, node)


def _function_of(ctx: RuleContext, fact: ShadowFact) -> FunctionFacts | None:
    """The function whose local ``fact`` binds (the innermost one of its name)."""
    line = fact.node.lineno
    inside = [fn for fn in ctx.facts.functions if fn.qual == fact.qual
              and fn.node.lineno <= line <= (fn.node.end_lineno or fn.node.lineno)]
    return max(inside, key=lambda fn: fn.node.lineno, default=None)


def _shadowed(ctx: RuleContext) -> list[RawFinding]:
    out = []
    for fact in ctx.facts.shadows:
        where = display(fact.qual)
        of = "of" if fact.kind == "parameter" else "in"
        fn = _function_of(ctx, fact) if fact.kind == "variable" and fact.qual else None
        edits = None if fn is None else rename_edits(ctx.sm, fn.node, fact.name)
        item = finding(
            "shadowed-builtin", _shadow_span(ctx.sm, fact),
            f"{_KIND[fact.kind]} '{fact.name}' {of} '{where}' shadows the builtin "
            f"'{fact.name}'.",
            fact.qual, f"{fact.kind}:{fact.name}", payload=(fact.name, edits),
            fixable=edits is not None,
        )
        if edits is not None:
            item.safety, item.safety_reason = "safe", _SAFE_RENAME
        out.append(item)
    return out


def string_annotation_names(annotations: list[ast.expr]) -> set[str]:
    names: set[str] = set()
    for annotation in annotations:
        for node in ast.walk(annotation):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    parsed = ast.parse(node.value.strip(), mode="eval")
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                for inner in ast.walk(parsed):
                    if isinstance(inner, ast.Name):
                        names.add(inner.id)
    return names


def _string_names(strings: list[str], wanted: set[str]) -> set[str]:
    """Names of ``wanted`` read inside string constants that parse as expressions
    (``cast("TextIO", x)``, ``TypeVar("T", bound="Base")``, string annotations)."""
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(wanted))) + r")\b")
    found: set[str] = set()
    for text in strings:
        if len(text) < 500 and pattern.search(text):
            try:
                parsed = ast.parse(text.strip(), mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            found.update(inner.id for inner in ast.walk(parsed)
                         if type(inner) is ast.Name and inner.id in wanted)
    return found


def _parameter_names(ctx: RuleContext) -> set[str]:
    """Every parameter name: pytest injects fixtures imported into a test module by name."""
    names: set[str] = set()
    for fn in ctx.facts.functions:
        args = fn.node.args
        names.update(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs)
    return names


def _is_facade(imp: ImportFact, has_all: bool) -> bool:
    """``from _impl import name`` in a module without ``__all__``: a public face re-exporting
    a private implementation (``ssl`` from ``_ssl``, ``importlib.machinery``); or a private
    ``_name`` forwarded from one."""
    stmt = imp.stmt
    if not isinstance(stmt, ast.ImportFrom):
        return False
    last = (stmt.module or "").rsplit(".", 1)[-1]
    if not last.startswith("_") or last.startswith("__"):
        return False
    # a private name taken verbatim from a private module is forwarded to other modules
    # (zipfile uses lzma._encode_filter_properties), __all__ or not
    return not has_all or (imp.bound.startswith("_") and not imp.alias.asname)


def _reportable(imp: ImportFact) -> bool:
    if imp.guarded:  # try/except ImportError: an availability probe or a fallback chain
        return False
    if imp.bound.startswith("__") and imp.bound.endswith("__"):
        return False  # 'from _impl import __doc__': sets the module's own attribute
    # 'import a.b' loads the submodule for its effects (codec registration, plugins ...)
    return not (isinstance(imp.stmt, ast.Import) and "." in imp.alias.name
                and not imp.alias.asname)


def _unused_imports(ctx: RuleContext) -> list[RawFinding]:
    facts = ctx.facts
    if not facts.imports or facts.all_dynamic or ctx.uri.endswith("__init__.py"):
        return []
    used = facts.loads | facts.all_names
    has_all = bool(facts.all_names)
    candidates = [imp for imp in facts.imports if imp.bound not in used and _reportable(imp)
                  and not _is_facade(imp, has_all)]
    if candidates and facts.annotations:
        strings = string_annotation_names(facts.annotations)
        candidates = [imp for imp in candidates if imp.bound not in strings]
    sm = ctx.sm
    if candidates:
        names = {imp.bound for imp in candidates}
        used_elsewhere = (_string_names(facts.strings, names) if facts.strings else set()) | (
            names & _parameter_names(ctx))
        candidates = [imp for imp in candidates if imp.bound not in used_elsewhere]
    candidates = _not_reexported(candidates, facts.imports, ctx)
    candidates = [imp for imp in candidates if not _statement_noqa(ctx, imp)]
    out = []
    going = {id(imp) for imp in candidates}
    for imp in candidates:
        alias = imp.alias
        stmt = imp.stmt
        if isinstance(stmt, ast.ImportFrom):
            source = "." * stmt.level + (stmt.module or "")
            what = f"'{imp.bound}' (from {source})"
        else:
            source = ""
            what = f"'{imp.bound}'" if imp.bound == alias.name else f"'{imp.bound}' ({alias.name})"
        item = finding(
            "unused-import", node_span(sm, alias),
            f"{what} is imported but never used.",
            imp.qual, f"{source}:{normalise(sm.segment(alias))}", payload=imp,
        )
        item.safety, item.safety_reason = import_safety(imp, facts.imports, going, ctx.usage)
        out.append(item)
    return out


def _statement_noqa(ctx: RuleContext, imp: ImportFact) -> bool:
    """A ``# noqa: F401`` / ``# keel: ignore`` on the first line of a multi-line import
    covers every name of it (``from .models import (  # noqa: F401``)."""
    line0 = imp.stmt.lineno - 1
    if line0 == imp.alias.lineno - 1:
        return False  # the engine's suppression reads that line already
    rules = line_rules(ctx.sm.line_text(line0))
    return "*" in rules or "unused-import" in rules


def _not_reexported(candidates: list[ImportFact], imports: list[ImportFact],
                    ctx: RuleContext) -> list[ImportFact]:
    """Without the imports the workspace shows are re-exports: a name another module imports
    from this one (or reaches by star import or by string) is used, not unused; and in a
    module most of whose imported names other modules take from it (a ``compat`` facade),
    the rest are its interface too."""
    body = [stmt for stmt in ctx.tree.body
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
            and not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__")]
    if len(body) >= 2 and all(isinstance(stmt, ast.ImportFrom) and stmt.level for stmt in body):
        return []  # relative imports only (sqlalchemy/events.py): a package module re-exporting
    usage = ctx.usage
    if usage is None or not candidates:
        return candidates
    if usage.everything:
        return []
    top = [imp for imp in imports if not imp.qual]
    taken = sum(1 for imp in top if imp.bound in usage.names)
    if top and 2 * taken >= len(top):
        return []
    return [imp for imp in candidates if imp.bound not in usage.names]


def _store_fixable(store: StoreFact) -> bool:
    if store.kind in ("with", "except"):
        return True
    return store.kind in ("assign", "annassign") and store.pure


def always_bound(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters that stay bound for the whole call: reading one cannot raise NameError.
    A parameter that is ``del``-eted or bound by ``except ... as`` (which unbinds it at the
    end of the handler) anywhere in the function may be unbound, so it is left out."""
    args = func.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for node in ast.walk(func):
        if type(node) is ast.Delete:
            names.difference_update(t.id for t in node.targets if type(t) is ast.Name)
        elif type(node) is ast.ExceptHandler and node.name is not None:
            names.discard(node.name)
    return names


def _store_safe(store: StoreFact, bound: set[str]) -> bool:
    """Removing the binding cannot change behaviour: a literal value, or one built only
    from parameters that are always bound (any other name could raise NameError), or an
    ``as`` target of a with/except."""
    if store.kind in ("with", "except"):
        return True
    stmt = store.stmt
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
    if value is None:  # (the walk records assignments with a value only)
        return False
    return all(node.id in bound for node in ast.walk(value) if type(node) is ast.Name)


_SAFE_VARIABLE = ("Safe: the value is a literal (or built from parameters, always bound) "
                  "and the name is never read.")
_UNSAFE_VARIABLE = ("Unsafe: the assigned value reads a name; removing it also removes the "
                    "NameError it would raise if that name were undefined.")


MAX_UNUSED_PER_FUNCTION = 10


def _unused_variables(ctx: RuleContext) -> list[RawFinding]:
    out = []
    for fn in ctx.facts.functions:
        if fn.uses_locals or not fn.stores:
            continue
        found = _unused_in(ctx.sm, fn)
        if len(found) > MAX_UNUSED_PER_FUNCTION:
            # one generated test function gave 800 findings: list a few, count the rest
            hidden = len(found) - MAX_UNUSED_PER_FUNCTION
            found = found[:MAX_UNUSED_PER_FUNCTION]
            found[-1].message += f" ({hidden} more unused variables in '{fn.qual}' not listed.)"
        out.extend(found)
    return out


def _unused_in(sm: SourceMap, fn: FunctionFacts) -> list[RawFinding]:
    out = []
    loads, declared = fn.loads, fn.declared
    for name, stores in fn.stores.items():
        if name in loads or name in declared or name.startswith("_"):
            continue
        first = stores[0]
        if isinstance(first.node, ast.ExceptHandler):  # kind "except"
            span = as_name_span(sm, first.node)
            anchor = f"except-as:{name}"
        else:
            span = node_span(sm, first.node)
            stmt = first.stmt
            anchor = normalise(sm.segment(stmt)) if stmt is not None else f"walrus:{name}"
            if isinstance(stmt, (ast.With, ast.AsyncWith)):  # kind "with"
                with_item = next(i for i in stmt.items if i.optional_vars is first.node)
                anchor = f"with-as:{name}:{normalise(sm.segment(with_item.context_expr))}"
        times = f" ({len(stores)} times)" if len(stores) > 1 else ""
        fixable = all(_store_fixable(s) for s in stores)
        item = finding(
            "unused-variable", span,
            f"Local variable '{name}' in '{fn.qual}' is assigned{times} but never read.",
            fn.qual, anchor, payload=stores, fixable=fixable,
        )
        if fixable:
            bound = always_bound(fn.node)
            safe = all(_store_safe(s, bound) for s in stores)
            item.safety = "safe" if safe else "unsafe"
            item.safety_reason = _SAFE_VARIABLE if safe else _UNSAFE_VARIABLE
        out.append(item)
    return out


_UNSAFE_DEFAULT = ("Unsafe: callers that pass None explicitly now get a fresh object, and "
                   "code that relied on the shared object (e.g. as a cache across calls) "
                   "changes behaviour.")


def _bound_in(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters and names bound in the function body: the guard the fix inserts would
    see those instead of the names the default saw at definition time."""
    args = func.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for stmt in func.body:
        for node in ast.walk(stmt):
            if type(node) is ast.Name and type(node.ctx) is not ast.Load:
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _annotation_fixable(annotation: ast.expr | None) -> bool:
    """'| None' can only be added to something that is a type expression."""
    if annotation is None:
        return True
    if type(annotation) is ast.Constant:
        return isinstance(annotation.value, str)
    return isinstance(annotation, (ast.Name, ast.Attribute, ast.Subscript, ast.BinOp))


def _default_fixable(fact: DefaultFact) -> bool:
    func = fact.func
    if isinstance(func, ast.Lambda) or not _annotation_fixable(fact.param.annotation):
        return False
    mentioned = {node.id for node in ast.walk(fact.default) if type(node) is ast.Name}
    return not mentioned or not mentioned & _bound_in(func)


def _mutable_defaults(ctx: RuleContext) -> list[RawFinding]:
    sm = ctx.sm
    out = []
    for fact in ctx.facts.defaults:
        func = fact.func
        param = fact.param.arg
        if param.startswith("_"):
            continue  # a private parameter no caller passes: a deliberately shared '_cache={}'

        if isinstance(func, ast.Lambda):
            qual = fact.qual
        else:
            qual = f"{fact.qual}.{func.name}" if fact.qual else func.name
        text = normalise(sm.segment(fact.default))
        shown = text if len(text) <= 40 else text[:37] + "..."
        item = finding(
            "mutable-default-argument", node_span(sm, fact.default),
            f"Parameter '{param}' of '{display(qual)}' has the mutable default "
            f"'{shown}': one object is created at definition time and shared by every call.",
            qual, f"{param}={text}", payload=fact, fixable=_default_fixable(fact),
        )
        item.safety, item.safety_reason = "unsafe", _UNSAFE_DEFAULT
        out.append(item)
    return out


def check(ctx: RuleContext) -> list[RawFinding]:
    return (_shadowed(ctx) + _unused_imports(ctx) + _unused_variables(ctx)
            + _mutable_defaults(ctx))
