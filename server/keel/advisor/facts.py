"""What the single syntax-tree walk collects, and the raw finding the rules produce.

The walk (``walker.py``) records threshold-independent facts; the rule modules
(``rules_*.py``) turn facts into ``RawFinding``s; the engine gives them ids and
wire shapes. Keeping facts separate from thresholds lets one walk serve every rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from keel.protocol import FixSafety

from .source import Located

Span = tuple[int, int, int, int]  # 0-based line, str column, 0-based end line, end str column
Loop = ast.For | ast.AsyncFor
TryStatement = ast.Try | ast.TryStar
Closure = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class StoreFact:
    """One binding of a local name that the unused-variable rule may report."""

    __slots__ = ("kind", "node", "stmt", "block", "index", "pure")

    def __init__(self, kind: str, node: ast.Name | ast.ExceptHandler, stmt: ast.stmt | None,
                 block: list[ast.stmt] | None, index: int, pure: bool) -> None:
        self.kind = kind  # assign | annassign | with | except | walrus
        self.node = node  # the ExceptHandler for "except"
        self.stmt = stmt  # None (and no block, index -1) for a walrus: not removable
        self.block = block
        self.index = index
        self.pure = pure  # the value has no side effects (assign/annassign only)


class FunctionFacts:
    __slots__ = ("node", "name", "qual", "is_method", "cc", "returns", "max_depth",
                 "deep_node", "loads", "stores", "declared", "uses_locals", "outer")

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qual: str,
                 is_method: bool) -> None:
        self.node = node
        self.name = node.name
        self.qual = qual
        self.is_method = is_method
        self.cc = 1
        self.returns = 0
        self.max_depth = 0
        self.deep_node: ast.stmt | None = None
        self.loads: set[str] = set()
        self.stores: dict[str, list[StoreFact]] = {}
        self.declared: set[str] = set()  # global / nonlocal
        self.uses_locals = False
        self.outer: FunctionFacts | None = None  # the function this one is nested in


@dataclass(slots=True)
class ClassFacts:
    node: ast.ClassDef
    qual: str
    methods: int


@dataclass(slots=True)
class ImportFact:
    alias: ast.alias
    stmt: ast.stmt
    bound: str
    alias_index: int
    block: list[ast.stmt]
    index: int
    qual: str
    guarded: bool = False  # in a try whose handlers catch ImportError: an availability probe
    type_checking: bool = False  # under 'if TYPE_CHECKING:' (never runs)


@dataclass(slots=True)
class HandlerFact:
    handler: ast.ExceptHandler
    bare: bool
    broad: bool
    swallows: bool
    reraises: bool
    qual: str
    try_stmt: TryStatement
    fn: FunctionFacts | None = None  # the function the handler is in (None: module or class)


@dataclass(slots=True)
class ShadowFact:
    name: str
    node: Located  # for def/class the name is located in text
    kind: str  # variable | parameter | function | class | import | exception
    qual: str


@dataclass(slots=True)
class DefaultFact:
    default: ast.expr
    func: Closure
    param: ast.arg
    qual: str


@dataclass(slots=True)
class ModuleFacts:
    functions: list[FunctionFacts] = field(default_factory=list)
    classes: list[ClassFacts] = field(default_factory=list)
    imports: list[ImportFact] = field(default_factory=list)
    handlers: list[HandlerFact] = field(default_factory=list)
    boolops: list[tuple[ast.BoolOp, int, str, ast.stmt | None]] = field(default_factory=list)
    defaults: list[DefaultFact] = field(default_factory=list)
    shadows: list[ShadowFact] = field(default_factory=list)
    blocks: list[tuple[list[ast.stmt], str]] = field(default_factory=list)
    unreachable: list[tuple[list[ast.stmt], int, str]] = field(default_factory=list)
    annotations: list[ast.expr] = field(default_factory=list)
    loads: set[str] = field(default_factory=set)
    all_names: set[str] = field(default_factory=set)
    all_dynamic: bool = False
    finally_jumps: list[tuple[ast.stmt, TryStatement, str]] = field(default_factory=list)
    # functions/lambdas defined inside for loops (loops, node, qual), and the lambdas passed
    # straight to a consumer that calls them at once (sorted(key=...), map, filter ...)
    closures: list[tuple[tuple[Loop, ...], Closure, str]] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)
    strings: list[str] = field(default_factory=list)  # string constants in expressions


@dataclass(slots=True)
class RawFinding:
    rule: str
    span: Span
    message: str
    qual: str  # enclosing qualified name ('' for module level)
    anchor: str  # normalised text the id is derived from
    fixable: bool = False
    payload: Any = None  # rule-specific data for fixes (never on the wire)
    # nodes whose normalised text goes into the id next to the anchor (e.g. the body of
    # the try a handler belongs to): equal anchors get distinct ids without positions
    context: Any = None
    id: str = ""
    # "safe" (behaviour preserved) or "unsafe" (changed, or not provably kept), with why
    safety: FixSafety | None = None
    safety_reason: str = ""
    # position-free key of the *site* (e.g. a handler's try body) counted for the occurrence
    # index of equal findings; sites stay when a fix removes a finding, so ids do not move
    site: Any = None
