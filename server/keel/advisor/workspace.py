"""The workspace import index: which names of a module other modules use (issue 23).

An unused import is provably safe to remove when no other module of the
workspace can reach the name through this module: nothing imports it from here
(``from pkg.mod import name``), no module that imports this module reads
``.name`` on anything, nothing star-imports the module (unless its ``__all__``
leaves the name out), no string in the workspace names it in ``getattr`` /
``hasattr`` / ``attrgetter`` calls, the module is not imported by a computed or
string name (``importlib.import_module("pkg.mod")``, ``__import__``), and it has no
module ``__getattr__``. ``ImportIndex.usage(path)`` answers that as an
``ExternalUse``, which ``engine.analyze`` takes and the unused-import rule reads.

The index holds a few facts per file (its imports, the attribute names it reads,
its dynamic-access strings), keyed by path and refreshed per file by content hash
(``update``); strings naming a dotted path (``mock.patch("pkg.mod.name")``, entry
points ``"pkg.mod:name"``) count as uses; ``invalidate(path)`` drops a file (deleted, or changed on disk before
it is read again). Building and keeping it fresh is the caller's I/O
(``keel.workflows.analyzers.project.workspace_usage``); this module only parses
texts it is given. Paths are '/'-separated absolute paths; module identity is
matched by path for relative imports and by every dotted suffix of the path for
absolute ones (``a/src/pkg/mod.py`` is ``mod``, ``pkg.mod``, ``src.pkg.mod``):
matching too much only ever makes a fix unsafe, never safe.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
from dataclasses import dataclass, field

# calls whose string argument names an attribute, and calls that import by name
_ATTR_CALLS = frozenset(("getattr", "hasattr", "setattr", "delattr", "attrgetter"))
_IMPORT_CALLS = frozenset(("import_module", "__import__", "find_spec", "import_string",
                           "locate", "import_object"))
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+:?[A-Za-z_]?\w*$")
Key = tuple[str, str]  # ("path", "/abs/pkg/mod.py") or ("dotted", "pkg.mod")


@dataclass(frozen=True)
class ExternalUse:
    """What the rest of the workspace does with one module's names."""

    names: dict[str, str] = field(default_factory=dict)  # name -> a module that uses it
    everything: str = ""  # non-empty: why every name counts as used
    dynamic: frozenset[str] = frozenset()  # strings read as attribute names anywhere
    # some module of the workspace imports the standard ``logging`` (its logging style:
    # the swallowed-exception fix adds logging only to a project that logs)
    logs: bool = False

    def user_of(self, name: str) -> str:
        """Why ``name`` may be used from outside ('' when nothing can reach it)."""
        if self.everything:
            return self.everything
        if name in self.names:
            return f"{self.names[name]} imports '{name}' from this module"
        if name in self.dynamic:
            return f"the workspace reads an attribute '{name}' by string (getattr)"
        return ""


@dataclass
class _FileFacts:
    digest: str
    from_names: list[tuple[tuple[Key, ...], str]] = field(default_factory=list)
    module_refs: list[tuple[Key, ...]] = field(default_factory=list)
    stars: list[tuple[Key, ...]] = field(default_factory=list)
    attrs: frozenset[str] = frozenset()
    dynamic: frozenset[str] = frozenset()
    imported_by_string: frozenset[str] = frozenset()
    dotted_strings: frozenset[str] = frozenset()  # "pkg.mod.name" (mock.patch targets ...)
    all_names: frozenset[str] | None = None  # None: no static __all__
    module_getattr: bool = False


def _norm(path: str) -> str:
    return path.replace("\\", "/")


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _relative(importer: str, level: int, module: str | None) -> str:
    """The path stem ('/abs/pkg/mod') a relative import names."""
    base = _dir(importer)
    for _ in range(level - 1):
        base = _dir(base)
    return base + ("/" + module.replace(".", "/") if module else "")


def _stem_keys(stem: str) -> tuple[Key, ...]:
    return (("path", stem + ".py"), ("path", stem + "/__init__.py"))


def _module_keys(importer: str, level: int, module: str | None) -> tuple[Key, ...]:
    if level:
        return _stem_keys(_relative(importer, level, module))
    return (("dotted", module or ""),)


def _child_keys(importer: str, level: int, module: str | None, name: str) -> tuple[Key, ...]:
    """The keys of submodule ``name`` of the module a ``from`` import names."""
    if level:
        return _stem_keys(_relative(importer, level, f"{module}.{name}" if module else name))
    return (("dotted", f"{module}.{name}"),)


def _string_args(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _static_all(tree: ast.Module) -> frozenset[str] | None:
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            try:
                return frozenset(ast.literal_eval(stmt.value)) if stmt.value else None
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return None
    return None


def _digest(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def file_facts(path: str, source: str) -> _FileFacts:
    """The index's facts of one file (empty when it does not parse)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _FileFacts(_digest(source))
    return tree_facts(path, source, tree)


def unparsed_facts(source: str) -> _FileFacts:
    """The facts of a text that does not parse (``file_facts`` gives the same)."""
    return _FileFacts(_digest(source))


def tree_facts(path: str, source: str, tree: ast.Module) -> _FileFacts:
    """``file_facts`` of a text already parsed (``tree`` is ``ast.parse(source)``): an
    analysis worker indexes the file it analyses without parsing it twice."""
    path = _norm(path)
    facts = _FileFacts(_digest(source))
    attrs: set[str] = set()
    dynamic: set[str] = set()
    by_string: set[str] = set()
    dotted: set[str] = set()
    for node in ast.walk(tree):
        kind = type(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "." in node.value and _DOTTED.match(node.value):
            dotted.add(node.value)
        elif kind is ast.Attribute:
            attrs.add(node.attr)  # type: ignore[attr-defined]
        elif kind is ast.ImportFrom:
            level, module = node.level, node.module  # type: ignore[attr-defined]
            keys = _module_keys(path, level, module)
            for alias in node.names:  # type: ignore[attr-defined]
                if alias.name == "*":
                    facts.stars.append(keys)
                    continue
                facts.from_names.append((keys, alias.name))
                facts.module_refs.append(_child_keys(path, level, module, alias.name))
        elif kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                parts = alias.name.split(".")
                facts.module_refs.extend((("dotted", ".".join(parts[:i])),)
                                         for i in range(1, len(parts) + 1))
        elif kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            called = func.id if type(func) is ast.Name else getattr(func, "attr", "")
            if called in _ATTR_CALLS:
                dynamic.update(_string_args(node))  # type: ignore[arg-type]
            elif called in _IMPORT_CALLS:
                by_string.update(_string_args(node))  # type: ignore[arg-type]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef) and node.name == "__getattr__":  # type: ignore[attr-defined]
            facts.module_getattr = facts.module_getattr or node in tree.body
    facts.attrs, facts.dynamic = frozenset(attrs), frozenset(dynamic)
    facts.imported_by_string = frozenset(by_string)
    facts.dotted_strings = frozenset(dotted)
    facts.all_names = _static_all(tree)
    return facts


@dataclass(frozen=True)
class PendingUse:
    """``ImportIndex.usage`` of a module whose own new text is not indexed yet: the
    analysis worker that parses that text resolves it (``resolve``), so the server
    need not parse the file only to learn its ``__getattr__``, ``__all__`` and
    ``getattr`` strings. ``without_all``/``with_all``: the usage were the module
    without / with a static ``__all__`` (only star imports tell them apart)."""

    path: str
    without_all: ExternalUse
    with_all: ExternalUse

    def resolve(self, mine: _FileFacts) -> ExternalUse:
        """``usage(path)`` once ``mine`` (the module's facts) is indexed."""
        if mine.module_getattr:
            return ExternalUse(everything="the module defines __getattr__")
        use = self.without_all if mine.all_names is None else self.with_all
        if use.everything or not mine.dynamic:
            return use
        return ExternalUse(names=use.names, dynamic=use.dynamic | mine.dynamic)


def _own_keys(path: str) -> set[Key]:
    """Every key under which ``path`` can be imported."""
    keys: set[Key] = {("path", path)}
    stem = path[:-len("/__init__.py")] if path.endswith("/__init__.py") else path.rsplit(".", 1)[0]
    parts = [p for p in stem.split("/") if p]
    for i in range(len(parts)):
        keys.add(("dotted", ".".join(parts[i:])))
    return keys


class ImportIndex:
    """Per-file import facts of one workspace; ``usage(path)`` for one module."""

    def __init__(self) -> None:
        self._files: dict[str, _FileFacts] = {}

    def __len__(self) -> int:
        return len(self._files)

    def digest(self, path: str) -> str | None:
        facts = self._files.get(_norm(path))
        return None if facts is None else facts.digest

    def update(self, path: str, source: str) -> bool:
        """Index ``source`` as the text of ``path``; False when it was indexed already."""
        path = _norm(path)
        known = self._files.get(path)
        if known is not None and known.digest == _digest(source):
            return False
        self._files[path] = file_facts(path, source)
        return True

    def put(self, path: str, facts: _FileFacts) -> None:
        """Index facts computed elsewhere (``file_facts``/``tree_facts`` of the file's text)."""
        self._files[_norm(path)] = facts

    def invalidate(self, path: str) -> None:
        """Forget ``path`` (deleted, renamed, or changed: the caller indexes it again)."""
        self._files.pop(_norm(path), None)

    def paths(self) -> list[str]:
        return list(self._files)

    def usage(self, path: str) -> ExternalUse:
        """What the other indexed files do with the names of the module at ``path``."""
        path = _norm(path)
        return self._usage(path, self._files.get(path))

    def pending_usage(self, path: str) -> PendingUse:
        """``usage(path)`` but for the module's own facts, which whoever parses its new
        text supplies (``PendingUse.resolve``): the index's entry for ``path`` is ignored."""
        path = _norm(path)
        return PendingUse(path, self._usage(path, None),
                          self._usage(path, _FileFacts("", all_names=frozenset())))

    def _usage(self, path: str, mine: _FileFacts | None) -> ExternalUse:
        own = _own_keys(path)
        logs = self.logs(besides=path)
        if mine is not None and mine.module_getattr:
            return ExternalUse(everything="the module defines __getattr__", logs=logs)
        dotted_names = {key for kind, key in own if kind == "dotted"}
        names: dict[str, str] = {}
        dynamic: set[str] = set(mine.dynamic) if mine is not None else set()
        for other, facts in self._files.items():
            if other == path:
                continue
            dynamic |= facts.dynamic
            where = other.rsplit("/", 2)
            label = "/".join(where[-2:])
            if facts.imported_by_string & dotted_names:
                return ExternalUse(everything=f"{label} imports this module by name", logs=logs)
            for keys in facts.stars:
                if own.intersection(keys) and (mine is None or mine.all_names is None):
                    return ExternalUse(everything=f"{label} star-imports this module", logs=logs)
            for text in facts.dotted_strings:  # mock.patch("pkg.mod.name"), "pkg.mod:name"
                module, _, attr = text.replace(":", ".").rpartition(".")
                if module in dotted_names:
                    names.setdefault(attr, label)
            for keys, name in facts.from_names:
                if own.intersection(keys):
                    names.setdefault(name, label)
            if any(own.intersection(keys) for keys in facts.module_refs):
                for attr in facts.attrs:
                    names.setdefault(attr, label)
        return ExternalUse(names=names, dynamic=frozenset(dynamic), logs=logs)

    def logs(self, besides: str = "") -> bool:
        """Whether some indexed file other than ``besides``, tests left out (a test
        capturing logs is not the project logging), imports the standard ``logging``.
        ``besides`` is the module being fixed: its own text decides from its tree, and
        its entry here may be older than that text (``pending_usage``)."""
        key = ("dotted", "logging")
        return any(key in keys for path, facts in self._files.items()
                   if path != besides and not _is_test(path)
                   for keys in [*facts.module_refs, *(k for k, _ in facts.from_names)])


def _is_test(path: str) -> bool:
    *folders, name = path.split("/")
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or not {"test", "tests", "testing"}.isdisjoint(folders))
