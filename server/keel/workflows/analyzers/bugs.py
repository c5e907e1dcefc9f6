"""Bug-pattern rules over the syntax tree: code that is almost always a mistake.

Each rule is a plain function over one ``ast`` node kind and yields ``BugHit``s.
The rules are deliberately narrow: a finding here should be a real bug (or a
real trap), not a style preference.

| rule | what |
|---|---|
| is-literal | ``x is 1`` / ``x is not "a"``: identity with a literal (SyntaxWarning in 3.8+) |
| eq-none | ``x == None`` / ``x != None``: use ``is None`` |
| assert-tuple | ``assert (cond, "msg")``: a non-empty tuple is always true |
| fstring-no-placeholder | ``f"text"`` with nothing to format |
| duplicate-dict-key | ``{"a": 1, "a": 2}``: the first value is silently lost |
| swallowed-exception | ``except: pass`` / ``except Exception: pass``: errors vanish |
| self-comparison | ``x == x``, ``x < x``: constant result (or a NaN check in disguise) |
| mutable-class-attribute | ``items = []`` in a class body: shared by every instance |

mutable-class-attribute is not reported in classes a framework manages (pydantic,
dataclasses, attrs, msgspec, NamedTuple, TypedDict, SQLAlchemy, Django, Enum) nor
for ``ClassVar`` annotations; ``keel.advisor.frameworks`` recognises them.

Mutable default arguments are the advisor's rule, so they are not repeated here.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keel.advisor.frameworks import Frameworks

SEVERITY = {
    "is-literal": "error",
    "eq-none": "warning",
    "assert-tuple": "error",
    "fstring-no-placeholder": "info",
    "duplicate-dict-key": "error",
    "swallowed-exception": "warning",
    "self-comparison": "warning",
    "mutable-class-attribute": "warning",
}
TITLES = {
    "is-literal": "Identity comparison with a literal",
    "eq-none": "Equality comparison with None",
    "assert-tuple": "Assert on a tuple is always true",
    "fstring-no-placeholder": "f-string without placeholders",
    "duplicate-dict-key": "Duplicate dictionary key",
    "swallowed-exception": "Exception silently swallowed",
    "self-comparison": "Comparison of a value with itself",
    "mutable-class-attribute": "Mutable class attribute shared by instances",
}


@dataclass(frozen=True)
class BugHit:
    rule: str
    message: str
    line: int  # 1-based, as ast reports
    col: int  # 0-based
    end_line: int
    end_col: int
    anchor: str  # normalised source of the flagged node (for stable ids)

    @property
    def severity(self) -> str:
        return SEVERITY[self.rule]

    @property
    def title(self) -> str:
        return TITLES[self.rule]


def _hit(rule: str, node: ast.AST, message: str) -> BugHit:
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    return BugHit(
        rule, message, line, col,
        getattr(node, "end_lineno", None) or line,
        getattr(node, "end_col_offset", None) or col,
        ast.unparse(node)[:200] if isinstance(node, ast.expr | ast.stmt) else rule,
    )


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        # identity, not ==: 1 == True would hide `x is 1`
        return not any(node.value is v for v in (None, True, False, Ellipsis))
    return isinstance(node, ast.List | ast.Dict | ast.Set | ast.Tuple | ast.JoinedStr) and not (
        isinstance(node, ast.Tuple) and not node.elts
    )


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_mutable(node: ast.expr | None) -> bool:
    if isinstance(node, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return True
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("list", "dict", "set", "defaultdict", "bytearray") and not node.args
    )


def _compare(node: ast.Compare) -> Iterator[BugHit]:
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.Is | ast.IsNot) and (_is_literal(left) or _is_literal(right)):
            word = "is not" if isinstance(op, ast.IsNot) else "is"
            yield _hit("is-literal", node, f"'{word}' compares identity, not value; use "
                       f"{'!=' if word == 'is not' else '=='}.")
        if isinstance(op, ast.Eq | ast.NotEq) and (_is_none(left) or _is_none(right)):
            yield _hit("eq-none", node, "Compare with None using 'is' / 'is not'.")
        if (
            isinstance(op, ast.Eq | ast.NotEq | ast.Lt | ast.LtE | ast.Gt | ast.GtE)
            and isinstance(left, ast.Name | ast.Attribute)
            and ast.dump(left) == ast.dump(right)
        ):
            yield _hit("self-comparison", node, f"'{ast.unparse(left)}' is compared with itself; "
                       "the result is constant (use math.isnan for a NaN check).")
        left = right


def _assert(node: ast.Assert) -> Iterator[BugHit]:
    if isinstance(node.test, ast.Tuple) and node.test.elts:
        yield _hit("assert-tuple", node, "This assert can never fail: the condition is a "
                   "non-empty tuple. Write 'assert cond, \"message\"'.")


def _fstring(node: ast.JoinedStr) -> Iterator[BugHit]:
    if not any(isinstance(v, ast.FormattedValue) for v in node.values):
        yield _hit("fstring-no-placeholder", node, "This f-string has no placeholders; drop the "
                   "'f' prefix or add the missing {value}.")


def _dict(node: ast.Dict) -> Iterator[BugHit]:
    seen: set[object] = set()
    for key in node.keys:
        if not isinstance(key, ast.Constant):
            continue
        marker = (type(key.value).__name__, key.value)
        if marker in seen:
            yield _hit("duplicate-dict-key", key, f"The key {key.value!r} appears more than once; "
                       "only the last value is kept.")
        seen.add(marker)


def _swallows(handler: ast.ExceptHandler) -> bool:
    broad = handler.type is None or (
        isinstance(handler.type, ast.Name) and handler.type.id in ("Exception", "BaseException")
    )
    body_does_nothing = all(
        isinstance(stmt, ast.Pass)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        or isinstance(stmt, ast.Continue)
        for stmt in handler.body
    )
    return broad and body_does_nothing


def _try(node: ast.Try) -> Iterator[BugHit]:
    for handler in node.handlers:
        if _swallows(handler):
            caught = ast.unparse(handler.type) if handler.type is not None else "everything"
            yield _hit("swallowed-exception", handler, f"Catching {caught} and doing nothing hides "
                       "real failures; log it, narrow it, or let it propagate.")


def _class(node: ast.ClassDef, frameworks: Frameworks) -> Iterator[BugHit]:
    if frameworks.manages(node):
        return  # the framework copies, declares or rejects mutable defaults itself
    for stmt in node.body:
        targets: list[ast.expr]
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            if frameworks.is_classvar(stmt.annotation):
                continue  # declared shared on purpose
            targets = [stmt.target]
        else:
            continue
        if stmt.value is not None and _is_mutable(stmt.value):
            names = ", ".join(ast.unparse(t) for t in targets)
            if names.isupper() or names.startswith("__"):
                continue  # constants and dunders are meant to be shared
            yield _hit("mutable-class-attribute", stmt, f"'{names}' is one object shared by every "
                       "instance; create it in __init__ instead.")


def _visit(node: ast.AST, frameworks: Frameworks) -> Iterator[BugHit]:
    """The rule for this node's kind, if any."""
    match node:
        case ast.Compare():
            return _compare(node)
        case ast.Assert():
            return _assert(node)
        case ast.JoinedStr():
            return _fstring(node)
        case ast.Dict():
            return _dict(node)
        case ast.Try():
            return _try(node)
        case ast.ClassDef():
            return _class(node, frameworks)
    return iter(())


def _module_file(module: str, importer: Path) -> Path | None:
    """The file of ``module`` (dotted, maybe relative) as imported from ``importer``."""
    level = len(module) - len(module.lstrip("."))
    parts = [p for p in module[level:].split(".") if p]
    if level:
        roots = [importer.parents[level - 1]] if level <= len(importer.parents) else []
    else:  # absolute: the nearest ancestor that holds it (the tree's source root)
        roots = list(importer.parents)[:8]
    for root in roots:
        stem = root.joinpath(*parts)
        candidates = [stem.with_suffix(".py"), stem / "__init__.py"] if parts else [stem / "__init__.py"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    return None


@functools.lru_cache(maxsize=256)
def _parse(path: str, _mtime_ns: int, _size: int) -> ast.Module | None:
    """A module's tree; the key's stat makes an edited file parse again."""
    try:
        return ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None  # unreadable: its classes count as plain


def _load_module(module: str, importer: str) -> tuple[str, ast.Module] | None:
    # every file of a package imports the same base modules: parse each once per worker
    target = _module_file(module, Path(importer))
    if target is None:
        return None
    try:
        stat = target.stat()
    except OSError:
        return None
    tree = _parse(str(target), stat.st_mtime_ns, stat.st_size)
    return None if tree is None else (str(target), tree)


def find_bugs(source: str, path: Path | None = None) -> list[BugHit]:
    """Every bug-pattern hit in ``source``, in source order.

    With the file's ``path``, classes derived from framework-managed classes of
    other modules of the same tree are recognised too (``from .base import Model``).

    Raises ``SyntaxError`` for code that does not parse (the caller reports it).
    """
    # imported here: the run path must not load keel.advisor; the workers run this
    from keel.advisor.frameworks import Frameworks

    tree = ast.parse(source)
    frameworks = Frameworks(tree, str(path) if path else "", _load_module if path else None)
    # A format spec (the ">10" of f"{x:>10}") is a JoinedStr too, without placeholders.
    specs = {id(n.format_spec) for n in ast.walk(tree)
             if isinstance(n, ast.FormattedValue) and n.format_spec is not None}
    hits: list[BugHit] = []
    for node in ast.walk(tree):
        if id(node) not in specs:
            hits.extend(_visit(node, frameworks))
    hits.sort(key=lambda h: (h.line, h.col, h.rule))
    return hits
