"""Bug-pattern rules: code that is almost always a mistake (once the workflows' own analyzer).

| rule | code | what |
|---|---|---|
| is-literal | F632 | ``x is "yes"`` / ``x is not 1``: identity with a literal (SyntaxWarning) |
| eq-none | E711 | ``x == None``: use ``is None`` (not in SQL expression arguments) |
| assert-tuple | F631 | ``assert (cond, "msg")``: a non-empty tuple is always true |
| fstring-no-placeholder | F541 | ``f"text"`` with nothing to format |
| duplicate-dict-key | F601 | ``{"a": 1, "a": 2}``: the first value is silently lost |
| self-comparison | PLR0124 | ``x == x``: constant result (or a NaN check in disguise) |
| mutable-class-attribute | RUF012 | ``items = []`` in a class body: shared by every instance |

mutable-class-attribute is reported only when a method of the class changes the
shared object in place through an instance or the class (``self.items.append``,
``self.table[k] = v``, ``cls.seen.add``, ``self.items += ...``): a class-level
table that is only read (Django's ``default_error_messages``, a migration's
``operations = []``, SQLAlchemy's ``_traverse_internals``) is configuration, not
shared state, and a reviewer would not change it. Nor is it reported in classes a
framework manages, nor for ``ClassVar`` annotations (``frameworks``); the classes
of other modules are read through the caller's ``ModuleLoader``
(``RuleContext.load``), only when a class has a candidate attribute, and each
such module is analysed once per process.

Fixes: ``is`` with a str/bytes/number literal becomes ``==`` (safe: the identity
of equal constants is an interpreter accident, so ``==`` is what the code means);
an f-string without placeholders loses its ``f`` (safe: the value is the same
string, checked by evaluating both literals); a repeated dictionary entry whose
constant value equals the one before it goes (safe: ``dict_keys``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .dict_keys import removal
from .facts import RawFinding
from .frameworks import Frameworks
from .rules_common import RuleContext, display, finding, node_span
from .source import normalise

_SAFE_IS = ("Safe: for a string, bytes or number literal, identity holds only by interpreter "
            "caching; '==' is what the comparison means.")
_UNSAFE_IS = ("Unsafe: a new container literal is never identical to anything, so the "
              "comparison was always False; '==' can be True.")
_SAFE_F = "Safe: without placeholders the string's value is the same without the 'f'."
_SAFE_DUP = ("Safe: the entry sets the key to the value it already has, and the key keeps "
             "its first position; nothing in between can change it.")
# calls whose arguments are SQL/query expressions, where '== None' builds 'IS NULL'
_MUTATORS = frozenset(("append", "extend", "insert", "add", "update", "setdefault", "pop",
                       "popitem", "remove", "discard", "clear", "sort", "reverse"))
_QUERY_CALLS = frozenset(("filter", "where", "filter_by", "having", "and_", "or_", "not_",
                          "exclude", "join", "outerjoin", "query", "case", "select",
                          "on", "onclause", "when"))


def _is_literal(node: ast.expr) -> bool:
    if type(node) is ast.Constant:
        # identity, not ==: 1 == True would hide `x is 1`
        return not any(node.value is v for v in (None, True, False, Ellipsis))
    return isinstance(node, ast.List | ast.Dict | ast.Set | ast.Tuple | ast.JoinedStr) and not (
        isinstance(node, ast.Tuple) and not node.elts)


def _is_none(node: ast.expr) -> bool:
    return type(node) is ast.Constant and node.value is None


def _is_mutable(node: ast.expr | None) -> bool:
    if isinstance(node, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "dict", "set", "defaultdict", "bytearray")
            and not node.args)


def unprefixed(text: str, node: ast.JoinedStr) -> int | None:
    """Where the 'f' of ``text`` (the f-string's source) is, when the literal without it has
    the same value; None otherwise (``{{`` escapes, concatenation with other f-strings)."""
    at = next((i for i, ch in enumerate(text[:3]) if ch in "fF"), None)
    if at is None:
        return None
    expected = "".join(str(v.value) for v in node.values if type(v) is ast.Constant)
    try:
        same = ast.literal_eval(text[:at] + text[at + 1:]) == expected
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None
    return at if same else None


class _Scan:
    """One recursive pass that knows the enclosing qualified name and query-call depth."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.out: list[RawFinding] = []
        self.candidates: list[tuple[ast.ClassDef, ast.Assign | ast.AnnAssign, str, str]] = []
        self.specs: set[int] = set()

    def run(self) -> list[RawFinding]:
        tree = self.ctx.tree
        # A format spec (the ">10" of f"{x:>10}") is a JoinedStr too, without placeholders.
        self.specs = {id(n.format_spec) for n in ast.walk(tree)
                      if type(n) is ast.FormattedValue and n.format_spec is not None}
        self._visit(tree, "", 0)
        if self.candidates:
            self._classes()
        return self.out

    def _visit(self, root: ast.AST, qual: str, query: int) -> None:
        # a stack, not recursion: a long expression chain must not exhaust the recursion limit
        stack: list[tuple[ast.AST, str, int]] = [(root, qual, query)]
        while stack:
            node, qual, query = stack.pop()
            kind = type(node)
            if kind is ast.Compare:
                self._compare(node, qual, query)  # type: ignore[arg-type]
            elif kind is ast.Assert:
                self._assert(node, qual)  # type: ignore[arg-type]
            elif kind is ast.JoinedStr and id(node) not in self.specs:
                self._fstring(node, qual)  # type: ignore[arg-type]
            elif kind is ast.Dict:
                self._dict(node, qual)  # type: ignore[arg-type]
            elif kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                called = func.id if type(func) is ast.Name else getattr(func, "attr", "")
                query += called in _QUERY_CALLS
            if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                name = node.name  # type: ignore[attr-defined]
                inner_qual = f"{qual}.{name}" if qual else name
                if kind is ast.ClassDef:
                    self._class(node, inner_qual)  # type: ignore[arg-type]
                body = {id(stmt) for stmt in node.body}  # type: ignore[attr-defined]
                stack.extend((child, inner_qual if id(child) in body else qual, query)
                             for child in ast.iter_child_nodes(node))
            else:
                stack.extend((child, qual, query) for child in ast.iter_child_nodes(node))
        self.out.sort(key=lambda item: item.span)

    def _add(self, item: RawFinding) -> None:
        self.out.append(item)

    def _compare(self, node: ast.Compare, qual: str, query: int) -> None:
        sm = self.ctx.sm
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            kind = type(op)
            if kind in (ast.Is, ast.IsNot) and (_is_literal(left) or _is_literal(right)):
                word, eq = ("is not", "!=") if kind is ast.IsNot else ("is", "==")
                literal = right if _is_literal(right) else left
                safe = type(literal) is ast.Constant and isinstance(
                    literal.value, str | bytes | int | float | complex)
                item = finding("is-literal", node_span(sm, node),
                               f"'{word}' compares identity, not value; use '{eq}'.",
                               qual, normalise(sm.segment(node))[:200],
                               payload=(left, right, kind is ast.IsNot), fixable=True)
                item.safety = "safe" if safe else "unsafe"
                item.safety_reason = _SAFE_IS if safe else _UNSAFE_IS
                self._add(item)
            if kind in (ast.Eq, ast.NotEq) and (_is_none(left) or _is_none(right)) and not query:
                self._add(finding("eq-none", node_span(sm, node),
                                  "Compare with None using 'is' / 'is not'.",
                                  qual, normalise(sm.segment(node))[:200]))
            if (kind in (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
                    and isinstance(left, ast.Name | ast.Attribute)
                    and ast.dump(left) == ast.dump(right)):
                self._add(finding("self-comparison", node_span(sm, node),
                                  f"'{ast.unparse(left)}' is compared with itself; the result "
                                  "is constant (use math.isnan for a NaN check).",
                                  qual, normalise(sm.segment(node))[:200]))
            left = right

    def _assert(self, node: ast.Assert, qual: str) -> None:
        if isinstance(node.test, ast.Tuple) and node.test.elts:
            self._add(finding("assert-tuple", node_span(self.ctx.sm, node),
                              "This assert can never fail: the condition is a non-empty tuple. "
                              "Write 'assert cond, \"message\"'.",
                              qual, normalise(self.ctx.sm.segment(node))[:200]))

    def _fstring(self, node: ast.JoinedStr, qual: str) -> None:
        if any(type(v) is ast.FormattedValue for v in node.values):
            return
        sm = self.ctx.sm
        text = sm.segment(node)
        fixable = unprefixed(text, node) is not None
        item = finding("fstring-no-placeholder", node_span(sm, node),
                       "This f-string has no placeholders; drop the 'f' prefix or add the "
                       "missing {value}.", qual, normalise(text)[:200],
                       payload=node, fixable=fixable)
        if fixable:
            item.safety, item.safety_reason = "safe", _SAFE_F
        self._add(item)

    def _dict(self, node: ast.Dict, qual: str) -> None:
        seen: set[object] = set()
        sm = self.ctx.sm
        for index, key in enumerate(node.keys):
            if type(key) is not ast.Constant:
                continue
            marker = (type(key.value).__name__, key.value)
            if marker in seen:
                fixable = removal(sm, node, index) is not None
                item = finding("duplicate-dict-key", node_span(sm, key),
                               f"The key {key.value!r} appears more than once; only the last "
                               "value is kept.", qual,
                               f"{normalise(sm.segment(key))}:{len(seen)}",
                               payload=(node, index), fixable=fixable)
                if fixable:
                    item.safety, item.safety_reason = "safe", _SAFE_DUP
                self._add(item)
            seen.add(marker)

    def _class(self, node: ast.ClassDef, qual: str) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            else:
                continue
            if stmt.value is None or not _is_mutable(stmt.value):
                continue
            names = ", ".join(ast.unparse(t) for t in targets)
            if names.isupper() or names.startswith("__"):
                continue  # constants and dunders are meant to be shared
            self.candidates.append((node, stmt, names, qual))

    def _classes(self) -> None:
        ctx = self.ctx
        mutated = {id(cls): _mutated(cls) for cls, _, _, _ in self.candidates}
        candidates = [c for c in self.candidates if c[2] in mutated[id(c[0])]]
        if not candidates:
            return
        frameworks = Frameworks(ctx.tree, ctx.key, ctx.load)
        for cls, stmt, names, qual in candidates:
            if frameworks.manages(cls):
                continue  # the framework copies, declares or rejects mutable defaults itself
            if isinstance(stmt, ast.AnnAssign) and frameworks.is_classvar(stmt.annotation):
                continue  # declared shared on purpose
            where = mutated[id(cls)][names]
            self._add(finding(
                "mutable-class-attribute", node_span(ctx.sm, stmt),
                f"'{names}' of class '{display(qual)}' is one object shared by every instance, "
                f"and '{where}' changes it in place; create it in __init__ instead (or annotate "
                "it ClassVar when sharing is intended).",
                qual, normalise(ctx.sm.segment(stmt))[:200]))


def _owner(node: ast.expr, cls: ast.ClassDef) -> str | None:
    """The attribute name when ``node`` is ``self.x`` / ``cls.x`` / ``ClassName.x``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id in ("self", "cls", cls.name):
        return node.attr
    return None


def _mutated(cls: ast.ClassDef) -> dict[str, str]:
    """Attribute -> the method that changes ``self.<attr>`` in place, for this class; not
    for an attribute a method also rebinds (``self.items = list(self.items)``: the instance
    may get its own object first)."""
    out: dict[str, str] = {}
    rebound: set[str] = set()
    augmented: set[int] = set()  # 'self.items += [x]' changes the list in place
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(method):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _MUTATORS:
                name = _owner(node.func.value, cls)
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                name = _owner(node.value, cls)
            elif isinstance(node, ast.AugAssign):
                name = _owner(node.target, cls)
                augmented.add(id(node.target))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and id(node) not in augmented:
                rebound.add(_owner(node, cls) or "")
            if name is not None:
                out.setdefault(name, f"{cls.name}.{method.name}")
    return {name: where for name, where in out.items() if name not in rebound}


def check(ctx: RuleContext) -> Iterator[RawFinding]:
    return iter(_Scan(ctx).run())
