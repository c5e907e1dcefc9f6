"""The expression half of the walk (see ``walker``): an explicit stack, no recursion."""

from __future__ import annotations

import ast
from ast import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Constant,
    Dict,
    DictComp,
    GeneratorExp,
    IfExp,
    Lambda,
    List,
    ListComp,
    Name,
    NamedExpr,
    Not,
    SetComp,
    Starred,
    Store,
    Subscript,
    Tuple,
    UnaryOp,
    keyword,
)
from collections.abc import Callable

from .facts import Closure, DefaultFact, FunctionFacts, ModuleFacts, ShadowFact, StoreFact
from .source import Located
from .syntax import (
    BUILTIN_NAMES,
    CLASS,
    FIELDS,
    INTROSPECTION,
    MODULE,
    consumed_now,
    fields_of,
    is_mutable_default,
)


class ExprWalker:
    """Walk state plus expression handling; ``Walker`` adds the statements."""

    def __init__(self) -> None:
        self.facts = ModuleFacts()
        self.fn: FunctionFacts | None = None  # the function whose own scope we are in
        self.cc_fn: FunctionFacts | None = None  # where complexity is counted (None: nowhere)
        self.loads: set[str] = self.facts.loads
        self.kind = MODULE
        self.qual = ""
        self._shadowed: set[tuple[str, str]] = set()
        self.stmt: ast.stmt | None = None  # the statement being walked
        self.loops: list[ast.For | ast.AsyncFor] = []  # enclosing for loops of this scope

    def expr(self, root: ast.AST) -> None:
        stack = [root]
        pop = stack.pop
        push = stack.append
        extend = stack.extend
        add = self.loads.add
        strings = self.facts.strings
        table = FIELDS
        cc = 0
        # 'type(node) is C' narrows for mypy at the cost of a chain of 'is' (the hot spot:
        # 'match' or 'isinstance' here made the whole walk about 20% slower, measured)
        while stack:
            node = pop()
            if type(node) is Name:
                if type(node.ctx) is Store:
                    if node.id in BUILTIN_NAMES and self.kind != CLASS:
                        self._shadow(node.id, node, "variable", self.qual)
                else:
                    add(node.id)
            elif type(node) is Constant:
                if type(node.value) is str:
                    strings.append(node.value)  # names used only in strings: cast("T", x)
            elif type(node) is Attribute:
                push(node.value)
            elif type(node) is Call:
                func = node.func
                if type(func) is Name and func.id in INTROSPECTION and self.fn is not None:
                    self.fn.uses_locals = True
                push(func)
                extend(node.args)
                extend(node.keywords)
                if self.loops:
                    consumed_now(node, self.facts.consumed)
            elif type(node) is keyword:
                push(node.value)
            elif type(node) is BinOp:
                push(node.left)
                push(node.right)
            elif type(node) is Compare:
                push(node.left)
                extend(node.comparators)
            elif type(node) is Subscript:
                push(node.value)
                push(node.slice)
            elif type(node) is Tuple or type(node) is List:
                extend(node.elts)
            elif type(node) is BoolOp:
                cc += self._boolop(node, push)
            elif type(node) is IfExp:
                cc += 1
                push(node.test)
                push(node.body)
                push(node.orelse)
            elif type(node) is ListComp or type(node) is SetComp or type(node) is GeneratorExp:
                cc += self._generators(node.generators, push)
                push(node.elt)
            elif type(node) is DictComp:
                cc += self._generators(node.generators, push)
                push(node.key)
                push(node.value)
            elif type(node) is Lambda:
                self._lambda(node, push)
            elif type(node) is NamedExpr:
                self._walrus(node.target)
                push(node.value)
            elif type(node) is Dict:
                for key in node.keys:
                    if key is not None:
                        push(key)
                extend(node.values)
            else:
                t = type(node)
                fields = table.get(t)
                if fields is None:
                    fields = fields_of(t)
                for f in fields:
                    value = getattr(node, f)
                    if value is None:
                        continue
                    if type(value) is list:
                        extend(value)
                    else:
                        push(value)
        if cc:
            fn = self.cc_fn
            if fn is not None:
                fn.cc += cc

    def _boolop(self, node: BoolOp, push: Callable[[ast.AST], None]) -> int:
        """Push the operands of a chain of and/or (through 'not'); returns its complexity."""
        todo: list[ast.expr] = [node]
        count = 0
        cc = 0
        while todo:
            n = todo.pop()
            if type(n) is BoolOp:
                cc += len(n.values) - 1
                todo.extend(n.values)
            elif type(n) is UnaryOp and type(n.op) is Not and type(n.operand) is BoolOp:
                todo.append(n.operand)
            else:
                count += 1
                push(n)
        if count > 2:
            self.facts.boolops.append((node, count, self.qual, self.stmt))
        return cc

    def _generators(self, generators: list[ast.comprehension],
                    push: Callable[[ast.AST], None]) -> int:
        """Push a comprehension's iterables and conditions; returns their complexity."""
        cc = 0
        for gen in generators:
            cc += 1 + len(gen.ifs)
            push(gen.iter)
            for cond in gen.ifs:
                push(cond)
            self._comp_target(gen.target, push)
        return cc

    def _lambda(self, node: Lambda, push: Callable[[ast.AST], None]) -> None:
        if self.loops:
            self.facts.closures.append((tuple(self.loops), node, self.qual))
        args = node.args
        for default in args.defaults:
            push(default)
        for kw_default in args.kw_defaults:
            if kw_default is not None:
                push(kw_default)
        self._mutable_defaults(node, args)
        push(node.body)

    def _comp_target(self, target: ast.expr, push: Callable[[ast.AST], None]) -> None:
        # comprehension variables live in the comprehension's own scope: not locals, no shadowing
        if isinstance(target, Name):
            return
        if isinstance(target, (Tuple, List)):
            for elt in target.elts:
                self._comp_target(elt, push)
        elif isinstance(target, Starred):
            self._comp_target(target.value, push)
        else:
            push(target)

    def _walrus(self, target: ast.Name) -> None:
        name = target.id
        if name in BUILTIN_NAMES and self.kind != CLASS:
            self._shadow(name, target, "variable", self.qual)
        if self.fn is not None:
            self.fn.stores.setdefault(name, []).append(
                StoreFact("walrus", target, None, None, -1, False)
            )

    def _shadow(self, name: str, node: Located, kind: str, qual: str) -> None:
        if self.fn is not None and name in self.fn.declared:
            return  # 'nonlocal hash': the binding is the enclosing scope's, judged there
        key = (qual, name)
        if key not in self._shadowed:
            self._shadowed.add(key)
            self.facts.shadows.append(ShadowFact(name, node, kind, qual))

    def _parameter_shadows(self, args: ast.arguments, params: list[ast.arg], qual: str) -> None:
        """Parameters named like builtins. Only for private module-level and nested
        functions: a public function's or a method's parameter names are its API (keyword
        callers, protocols such as ``Codec.encode(self, input)``)."""
        positional = args.posonlyargs + args.args
        defaults: dict[ast.arg, ast.expr | None] = dict(
            zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
        defaults.update(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        for param in params:
            default = defaults.get(param)
            if type(default) is Name and default.id == param.arg:
                continue  # 'float=float': a deliberate local alias of the builtin
            if param.arg in BUILTIN_NAMES:
                self._shadow(param.arg, param, "parameter", qual)

    def _is_param(self, name: str) -> bool:
        """Rebinding a parameter (``dir = dir or gettempdir()``): the name is the API's."""
        if self.fn is None:
            return False
        args = self.fn.node.args
        return any(a.arg == name for a in args.posonlyargs + args.args + args.kwonlyargs)

    def _store(self, target: ast.Name, kind: str, stmt: ast.stmt, block: list[ast.stmt],
               index: int, pure: bool) -> None:
        name = target.id
        value = getattr(stmt, "value", None)
        # 'dict = dict' / 'TimeoutError = TimeoutError': a deliberate alias of the builtin;
        # at module level 'open = io.open' / 'DeprecationWarning = PydanticDeprecatedSince20'
        # replaces the builtin for the module on purpose, as 'from io import open' does
        alias = type(value) is Name or type(value) is Attribute
        if name in BUILTIN_NAMES and self.kind != CLASS and not (
                type(value) is Name and value.id == name) and not self._is_param(name) \
                and not (alias and self.kind == MODULE):
            self._shadow(name, target, "variable", self.qual)
        if self.fn is not None:
            self.fn.stores.setdefault(name, []).append(
                StoreFact(kind, target, stmt, block, index, pure)
            )

    def _mutable_defaults(self, func: Closure, args: ast.arguments) -> None:
        positional = args.posonlyargs + args.args
        for param, default in zip(positional[len(positional) - len(args.defaults):],
                                  args.defaults, strict=True):
            if is_mutable_default(default):
                self.facts.defaults.append(DefaultFact(default, func, param, self.qual))
        for param, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None and is_mutable_default(kw_default):
                self.facts.defaults.append(DefaultFact(kw_default, func, param, self.qual))

    # -- statements ------------------------------------------------------
