"""The single walk over the syntax tree that gathers the facts every rule needs.

Statements are walked recursively (the parser caps block nesting at 100
levels); expressions are walked with an explicit stack, so a 10,000-term
``a + b + ...`` does not hit the recursion limit. Dispatch is by exact node type
with the common node types first; nothing here looks at thresholds.

Cyclomatic complexity is counted exactly as radon's ``ComplexityVisitor``
counts it (radon 6): a function starts at 1; +1 per ``if``/``elif``/``IfExp``;
+1 per ``for``/``async for``/``while`` (+1 more with an ``else``); per ``try``
+1 per handler (+1 with an ``else``; ``try``/``except*`` adds nothing); per
boolean operator chain +(operands - 1); per comprehension ``for`` +1 (+1 per
``if``); per ``match`` +1 per case not counting one capture-all case; +1 per
``assert`` (whose inside is not counted). Decorators, defaults and annotations
are not counted, nor are nested functions and class bodies (they are counted
on their own); lambda bodies count towards the enclosing function.
"""

from __future__ import annotations

import ast
from ast import Attribute, Call, Constant, Name
from collections.abc import Callable
from typing import Any

from .facts import (
    ClassFacts,
    FunctionFacts,
    HandlerFact,
    ImportFact,
    ModuleFacts,
    StoreFact,
    TryStatement,
)
from .syntax import (
    BUILTIN_NAMES,
    CLASS,
    FUNCS,
    FUNCTION,
    MODULE,
    TERMINATORS,
    all_strings,
    catches_import_error,
    finally_jumps,
    has_raise,
    is_broad,
    is_pure,
    is_type_checking,
    swallows,
)
from .walker_expr import ExprWalker

# (statement, depth, block, index in block); Any: each handler takes its own statement type
StatementHandler = Callable[[Any, int, list[ast.stmt], int], None]


class Walker(ExprWalker):
    """One pass over a module; ``walk(tree)`` returns the ``ModuleFacts``."""

    def __init__(self) -> None:
        super().__init__()
        self.import_guard = False  # inside a try/except ImportError (body or handlers)
        self.type_checking = False  # inside 'if TYPE_CHECKING:'
        # exact node type -> handler; the dispatch guarantees each handler its statement type
        self._stmt: dict[type[ast.stmt], StatementHandler] = {
            ast.Expr: self._expr_stmt, ast.Assign: self._assign, ast.Return: self._return,
            ast.If: self._if, ast.For: self._for, ast.AsyncFor: self._for,
            ast.While: self._while, ast.With: self._with, ast.AsyncWith: self._with,
            ast.Try: self._try, ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function, ast.ClassDef: self._class,
            ast.AugAssign: self._augassign, ast.AnnAssign: self._annassign,
            ast.Import: self._import, ast.ImportFrom: self._import, ast.Raise: self._raise,
            ast.Assert: self._assert, ast.Global: self._declare, ast.Nonlocal: self._declare,
            ast.Delete: self._delete, ast.Pass: self._nothing, ast.Break: self._nothing,
            ast.Continue: self._nothing, ast.Match: self._match,
        }
        if hasattr(ast, "TryStar"):
            self._stmt[ast.TryStar] = self._try

    def walk(self, tree: ast.Module) -> ModuleFacts:
        try:
            self._block(tree.body, 0)
        finally:
            # the bound methods make a reference cycle: break it so the walker (and
            # the tree it reaches) is freed by reference counting, GC paused or not
            self._stmt.clear()
        return self.facts

    # -- statements ------------------------------------------------------

    def _block(self, stmts: list[ast.stmt], depth: int) -> None:
        if not stmts:
            return  # only an empty module
        self.facts.blocks.append((stmts, self.qual))
        handlers = self._stmt
        last = len(stmts) - 1
        for index, stmt in enumerate(stmts):
            t = type(stmt)
            if t in TERMINATORS and index < last:
                self.facts.unreachable.append((stmts, index + 1, self.qual))
            self.stmt = stmt
            handler = handlers.get(t)
            if handler is None:
                self._generic_stmt(stmt, depth)
            else:
                handler(stmt, depth, stmts, index)

    def _level(self, stmt: ast.stmt, level: int) -> None:
        fn = self.fn
        if fn is not None and level > fn.max_depth:
            fn.max_depth = level
            fn.deep_node = stmt

    def _count(self, amount: int) -> None:
        if self.cc_fn is not None:
            self.cc_fn.cc += amount

    def _nothing(self, stmt: ast.stmt, depth: int, block: list[ast.stmt], index: int) -> None:
        pass

    def _expr_stmt(self, stmt: ast.Expr, depth: int, block: list[ast.stmt], index: int) -> None:
        value = stmt.value
        if type(value) is Constant:
            return
        if self.kind == MODULE and type(value) is Call and type(value.func) is Attribute:
            target = value.func.value
            if type(target) is Name and target.id == "__all__":
                self._dunder_all(value.args[0] if value.args else None,
                                 value.func.attr in ("append", "extend"), value.func.attr)
        self.expr(value)

    def _dunder_all(self, node: ast.expr | None, ok: bool = True, method: str = "") -> None:
        if node is not None and ok and method == "append" and type(node) is Constant:
            self.facts.all_names.add(str(node.value))
            return
        names = all_strings(node) if node is not None and ok else None
        if names is None:
            self.facts.all_dynamic = True
        else:
            self.facts.all_names.update(names)

    def _assign(self, stmt: ast.Assign, depth: int, block: list[ast.stmt], index: int) -> None:
        value = stmt.value
        self.expr(value)
        single = len(stmt.targets) == 1
        for target in stmt.targets:
            if type(target) is Name:
                if self.kind == MODULE and target.id == "__all__":
                    self._dunder_all(value)
                self._store(target, "assign", stmt, block, index,
                            single and is_pure(value))
            else:
                self.expr(target)

    def _augassign(self, stmt: ast.AugAssign, depth: int, block: list[ast.stmt],
                   index: int) -> None:
        target = stmt.target
        if type(target) is Name:
            self.loads.add(target.id)
            if target.id in BUILTIN_NAMES and self.kind != CLASS:
                self._shadow(target.id, target, "variable", self.qual)
            if self.kind == MODULE and target.id == "__all__":
                self._dunder_all(stmt.value)
        else:
            self.expr(target)
        self.expr(stmt.value)

    def _annassign(self, stmt: ast.AnnAssign, depth: int, block: list[ast.stmt],
                   index: int) -> None:
        self._annotation(stmt.annotation)
        target = stmt.target
        value = stmt.value
        if value is not None:
            self.expr(value)
        if type(target) is Name:
            if value is not None:
                if self.kind == MODULE and target.id == "__all__":
                    self._dunder_all(value)
                self._store(target, "annassign", stmt, block, index, is_pure(value))
        else:
            self.expr(target)

    def _annotation(self, node: ast.expr | None) -> None:
        if node is not None:
            self.expr(node)
            if type(node) is not Name and type(node) is not Attribute:
                self.facts.annotations.append(node)

    def _return(self, stmt: ast.Return, depth: int, block: list[ast.stmt], index: int) -> None:
        if self.fn is not None:
            self.fn.returns += 1
        if stmt.value is not None:
            self.expr(stmt.value)

    def _raise(self, stmt: ast.Raise, depth: int, block: list[ast.stmt], index: int) -> None:
        if stmt.exc is not None:
            self.expr(stmt.exc)
        if stmt.cause is not None:
            self.expr(stmt.cause)

    def _assert(self, stmt: ast.Assert, depth: int, block: list[ast.stmt], index: int) -> None:
        saved = self.cc_fn
        self.cc_fn = None  # radon counts an assert as 1 and does not look inside
        self.expr(stmt.test)
        if stmt.msg is not None:
            self.expr(stmt.msg)
        self.cc_fn = saved
        self._count(1)

    def _delete(self, stmt: ast.Delete, depth: int, block: list[ast.stmt], index: int) -> None:
        for target in stmt.targets:
            self.expr(target)

    def _declare(self, stmt: ast.Global | ast.Nonlocal, depth: int, block: list[ast.stmt],
                 index: int) -> None:
        if self.fn is not None:
            self.fn.declared.update(stmt.names)
        if type(stmt) is ast.Nonlocal:
            self.loads.update(stmt.names)  # the enclosing binding is used from here

    def _if(self, stmt: ast.If, depth: int, block: list[ast.stmt], index: int) -> None:
        self._count(1)
        self.expr(stmt.test)
        self._level(stmt, depth + 1)
        if is_type_checking(stmt.test) and not self.type_checking:
            self.type_checking = True
            self._block(stmt.body, depth + 1)
            self.type_checking = False
        else:
            self._block(stmt.body, depth + 1)
        orelse = stmt.orelse
        if orelse:
            first = orelse[0]
            if len(orelse) == 1 and type(first) is ast.If and first.col_offset == stmt.col_offset:
                self._if(first, depth, orelse, 0)  # elif: same nesting level
            else:
                self._block(orelse, depth + 1)

    def _for(self, stmt: ast.For | ast.AsyncFor, depth: int, block: list[ast.stmt],
             index: int) -> None:
        self._count(2 if stmt.orelse else 1)
        self.expr(stmt.iter)
        self.expr(stmt.target)
        self._level(stmt, depth + 1)
        self.loops.append(stmt)
        self._block(stmt.body, depth + 1)
        self.loops.pop()
        if stmt.orelse:
            self._block(stmt.orelse, depth + 1)

    def _while(self, stmt: ast.While, depth: int, block: list[ast.stmt], index: int) -> None:
        self._count(2 if stmt.orelse else 1)
        self.expr(stmt.test)
        self._level(stmt, depth + 1)
        self._block(stmt.body, depth + 1)
        if stmt.orelse:
            self._block(stmt.orelse, depth + 1)

    def _with(self, stmt: ast.With | ast.AsyncWith, depth: int, block: list[ast.stmt],
              index: int) -> None:
        for item in stmt.items:
            self.expr(item.context_expr)
            target = item.optional_vars
            if target is not None:
                if type(target) is Name:
                    self._store(target, "with", stmt, block, index, False)
                else:
                    self.expr(target)
        self._level(stmt, depth + 1)
        self._block(stmt.body, depth + 1)

    def _try(self, stmt: TryStatement, depth: int, block: list[ast.stmt], index: int) -> None:
        if type(stmt) is ast.Try:  # radon does not count try/except*
            self._count(len(stmt.handlers) + bool(stmt.orelse))
        self._level(stmt, depth + 1)
        guard = not self.import_guard and catches_import_error(stmt.handlers)
        if guard:
            self.import_guard = True
        self._block(stmt.body, depth + 1)
        for handler in stmt.handlers:
            if handler.type is not None:
                self.stmt = stmt
                self.expr(handler.type)
            if handler.name is not None:
                name = handler.name
                if name in BUILTIN_NAMES and self.kind != CLASS:
                    self._shadow(name, handler, "exception", self.qual)
                if self.fn is not None:
                    self.fn.stores.setdefault(name, []).append(
                        StoreFact("except", handler, stmt, block, index, False)
                    )
            bare = handler.type is None
            broad = is_broad(handler.type)
            if bare or broad:
                self.facts.handlers.append(HandlerFact(
                    handler, bare, broad, swallows(handler.body, handler.name),
                    has_raise(handler.body),
                    self.qual, stmt, self.fn))
            self._block(handler.body, depth + 1)
        if guard:
            self.import_guard = False
        if stmt.orelse:
            self._block(stmt.orelse, depth + 1)
        if stmt.finalbody:
            for jump in finally_jumps(stmt.finalbody):
                self.facts.finally_jumps.append((jump, stmt, self.qual))
            self._block(stmt.finalbody, depth + 1)

    def _match(self, stmt: ast.Match, depth: int, block: list[ast.stmt], index: int) -> None:
        cases = stmt.cases
        catch_all = any(getattr(case.pattern, "pattern", False) is None for case in cases)
        self._count(max(0, len(cases) - catch_all))
        self.expr(stmt.subject)
        self._level(stmt, depth + 1)
        for case in cases:
            self.stmt = stmt
            self.expr(case.pattern)
            if case.guard is not None:
                self.expr(case.guard)
            self._block(case.body, depth + 1)

    def _import(self, stmt: ast.Import | ast.ImportFrom, depth: int, block: list[ast.stmt],
                index: int) -> None:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            return
        is_from = type(stmt) is ast.ImportFrom
        for position, alias in enumerate(stmt.names):
            if alias.name == "*":
                continue
            bound = alias.asname or (alias.name if is_from else alias.name.split(".")[0])
            # module level: API (io.open); 'from rich import print' anywhere: a replacement
            # the other module names so; 'import x as print' is this code's own choice
            if bound in BUILTIN_NAMES and self.kind == FUNCTION and alias.asname not in (None, alias.name):
                self._shadow(bound, alias, "import", self.qual)
            if self.kind == MODULE and alias.asname != alias.name:  # 'import x as x' re-exports
                self.facts.imports.append(ImportFact(
                    alias, stmt, bound, position, block, index, self.qual,
                    self.import_guard, self.type_checking))

    def _generic_stmt(self, stmt: ast.stmt, depth: int) -> None:
        for name in stmt._fields:
            value = getattr(stmt, name, None)
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self._block(value, depth + 1)
                else:
                    for item in value:
                        if isinstance(item, ast.AST):
                            self.expr(item)
            elif isinstance(value, ast.expr):
                self.expr(value)

    # -- definitions -----------------------------------------------------

    def _function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, depth: int, block: list[ast.stmt],
                  index: int) -> None:
        saved_cc = self.cc_fn
        self.cc_fn = None  # decorators, defaults and annotations are not counted
        for decorator in stmt.decorator_list:
            self.expr(decorator)
        args = stmt.args
        for default in args.defaults:
            self.expr(default)
        for kw_default in args.kw_defaults:
            if kw_default is not None:
                self.expr(kw_default)
        self._mutable_defaults(stmt, args)
        params = args.posonlyargs + args.args + args.kwonlyargs
        if args.vararg is not None:
            params.append(args.vararg)
        if args.kwarg is not None:
            params.append(args.kwarg)
        for param in params:
            self._annotation(param.annotation)
        self._annotation(stmt.returns)
        self.cc_fn = saved_cc
        name = stmt.name
        if name in BUILTIN_NAMES and self.kind == FUNCTION:  # module level: API (codecs.open)
            self._shadow(name, stmt, "function", self.qual)
        qual = f"{self.qual}.{name}" if self.qual else name
        fn = FunctionFacts(stmt, qual, self.kind == CLASS)
        fn.outer = self.fn
        if self.kind == FUNCTION or (self.kind == MODULE and name.startswith("_")
                                     and not name.endswith("__")):  # __import__ mirrors a builtin
            self._parameter_shadows(args, params, qual)
        if self.loops:
            self.facts.closures.append((tuple(self.loops), stmt, self.qual))
        saved = (self.fn, self.cc_fn, self.loads, self.kind, self.qual, self.loops)
        self.loops = []  # loops of the enclosing scope are not this function's
        self.fn = self.cc_fn = fn
        self.loads = fn.loads
        self.kind = FUNCTION
        self.qual = qual
        self._block(stmt.body, 0)
        self.fn, self.cc_fn, self.loads, self.kind, self.qual, self.loops = saved
        self.loads |= fn.loads
        self.facts.functions.append(fn)

    def _class(self, stmt: ast.ClassDef, depth: int, block: list[ast.stmt], index: int) -> None:
        saved_cc = self.cc_fn
        self.cc_fn = None  # class bodies are not part of any function's complexity
        for decorator in stmt.decorator_list:
            self.expr(decorator)
        for base in stmt.bases:
            self.expr(base)
        for kw in stmt.keywords:
            self.expr(kw.value)
        name = stmt.name
        if name in BUILTIN_NAMES and self.kind == FUNCTION:
            self._shadow(name, stmt, "class", self.qual)
        qual = f"{self.qual}.{name}" if self.qual else name
        saved = (self.fn, self.kind, self.qual)
        self.fn = None
        self.kind = CLASS
        self.qual = qual
        self._block(stmt.body, 0)
        self.fn, self.kind, self.qual = saved
        self.cc_fn = saved_cc
        methods = sum(1 for child in stmt.body if type(child) in FUNCS)
        self.facts.classes.append(ClassFacts(stmt, qual, methods))
