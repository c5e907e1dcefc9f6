"""Which classes a framework manages: mutable class-level defaults are fine there.

pydantic, dataclasses, attrs, msgspec, NamedTuple, TypedDict, SQLAlchemy,
Django, Enum and ctypes structures copy a field's default per instance, turn it into a factory, reject it,
or declare a column with it, so ``items: list[str] = []`` in their classes is
not a shared-state bug. They are recognised by what a base class or decorator
*resolves to* through the module's imports (``from pydantic import BaseModel as
B``, ``import pydantic as pd``), never by spelling alone, so a plain class that
happens to be called ``BaseModel`` is still checked.

A subclass of a managed class is managed: in the same module, and, when the
caller gives a ``ModuleLoader``, through imports from other modules
(``from .base import WireModel``), followed to a bounded depth. The advisor does
no I/O, so reading those modules is the loader's job.

Each other module is analysed once per process, not once per importing file: the
analysis is kept (``_SHARED``, bounded) for as long as the loader hands back the
same tree object, so a loader that caches parses by file stamp (a file edited
on disk parses again, and so is analysed again) makes a package's base module
cost one parse and one analysis for all its subclasses' files.
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

_PYDANTIC = {
    "pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.RootModel",
    "pydantic.root_model.RootModel", "pydantic.BaseSettings", "pydantic_settings.BaseSettings",
    "pydantic.v1.BaseModel", "pydantic.v1.BaseSettings", "pydantic.generics.GenericModel",
    "sqlmodel.SQLModel",
}
_TYPING = {f"{mod}.{name}" for mod in ("typing", "typing_extensions")
           for name in ("NamedTuple", "TypedDict")}
_ORM = {
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.MappedAsDataclass", "django.db.models.Model", "django.db.models.base.Model",
}
_ENUM = {f"enum.{name}" for name in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")}
# ctypes reads '_fields_' once, when the class is created
_CTYPES = {f"ctypes.{name}" for name in ("Structure", "Union", "BigEndianStructure",
                                          "LittleEndianStructure", "BigEndianUnion",
                                          "LittleEndianUnion")}
FRAMEWORK_BASES = frozenset(_PYDANTIC | _TYPING | _ORM | _ENUM | _CTYPES | {"msgspec.Struct"})
FRAMEWORK_DECORATORS = frozenset({
    "dataclasses.dataclass", "pydantic.dataclasses.dataclass",
    *(f"{mod}.{name}" for mod in ("attr", "attrs")
      for name in ("s", "attrs", "define", "frozen", "mutable", "dataclass")),
})
# calls whose result is a declarative base class: 'Base = declarative_base()'
BASE_FACTORIES = frozenset({
    "sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
    "sqlalchemy.orm.decl_api.declarative_base",
})
CLASSVAR = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
# options classes nested in a managed class (Django 'Meta', pydantic v1 'Config')
_OPTION_CLASSES = ("Meta", "Config")
_MAX_DEPTH = 6
# (dotted module as written, importer's key) -> (module's key, its tree), or None
ModuleLoader = Callable[[str, str], "tuple[str, ast.Module] | None"]
_SHARED_ENTRIES = 512
# module key -> (the tree it was analysed from, its facts); shared by every Frameworks
_SHARED: OrderedDict[str, tuple[ast.Module, _ModuleFacts]] = OrderedDict()


def import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin; relative origins keep their leading dots."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    sep = "" if prefix.endswith(".") or not prefix else "."
                    out[alias.asname or alias.name] = f"{prefix}{sep}{alias.name}"
    return out


def dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """What ``node`` names through the imports: ``pd.BaseModel`` -> ``pydantic.BaseModel``.

    Calls and subscripts name their callee (``dataclass(frozen=True)``,
    ``RootModel[list[int]]``); a name that is not imported stays itself.
    """
    if isinstance(node, ast.Call | ast.Subscript):
        return dotted(node.func if isinstance(node, ast.Call) else node.value, aliases)
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = dotted(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


@dataclass
class _ModuleFacts:
    aliases: dict[str, str]
    managed: set[str] = field(default_factory=set)  # names of managed classes (and bases)
    managed_nodes: set[int] = field(default_factory=set)  # id() of managed ClassDefs


class Frameworks:
    """Answers "does a framework manage this class?" for one module."""

    def __init__(self, tree: ast.Module, key: str = "",
                 load: ModuleLoader | None = None) -> None:
        self._load_module = load
        self._cache: dict[str, _ModuleFacts | None] = {}
        self._facts = self._analyse(tree, key, 0)

    @property
    def aliases(self) -> dict[str, str]:
        return self._facts.aliases

    def manages(self, node: ast.ClassDef) -> bool:
        return id(node) in self._facts.managed_nodes

    def is_classvar(self, annotation: ast.expr | None) -> bool:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return False
        if annotation is None:
            return False
        name = dotted(annotation, self.aliases)
        return name in CLASSVAR or name == "ClassVar"  # bare: the annotation says it anyway

    # -- analysis --------------------------------------------------------

    def _analyse(self, tree: ast.Module, key: str, depth: int) -> _ModuleFacts:
        facts = _ModuleFacts(import_aliases(tree))
        for stmt in tree.body:
            if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
                    and dotted(stmt.value.func, facts.aliases) in BASE_FACTORIES):
                facts.managed.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        changed = True
        while changed:  # a subclass may come before its base in walk order
            changed = False
            for cls in classes:
                if id(cls) not in facts.managed_nodes and self._is_managed(cls, facts, key, depth):
                    facts.managed_nodes.add(id(cls))
                    facts.managed.add(cls.name)
                    facts.managed_nodes.update(
                        id(s) for s in cls.body
                        if isinstance(s, ast.ClassDef) and s.name in _OPTION_CLASSES)
                    changed = True
        return facts

    def _is_managed(self, cls: ast.ClassDef, facts: _ModuleFacts, key: str,
                    depth: int) -> bool:
        if any(dotted(d, facts.aliases) in FRAMEWORK_DECORATORS for d in cls.decorator_list):
            return True
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in facts.managed:
                return True
            name = dotted(base, facts.aliases)
            if name is not None and self._managed_name(name, key, depth):
                return True
        return False

    def _managed_name(self, name: str, key: str, depth: int) -> bool:
        if name in FRAMEWORK_BASES:
            return True
        level = len(name) - len(name.lstrip("."))
        rest, _, attr = name[level:].rpartition(".")
        if self._load_module is None or depth >= _MAX_DEPTH or not (level or rest):
            return False
        loaded = self._load_module("." * level + rest, key)
        if loaded is None:
            return False
        target, tree = loaded
        facts = self._load(target, tree, depth + 1)
        if facts is None:
            return False
        if attr in facts.managed:
            return True
        origin = facts.aliases.get(attr)  # re-exported: 'from .base import WireModel'
        return origin is not None and self._managed_name(origin, target, depth + 1)

    def _load(self, target: str, tree: ast.Module, depth: int) -> _ModuleFacts | None:
        if target not in self._cache:
            shared = _SHARED.get(target)
            if shared is not None and shared[0] is tree:
                _SHARED.move_to_end(target)
                self._cache[target] = shared[1]
                return shared[1]
            self._cache[target] = None  # an import cycle ends here
            facts = self._analyse(tree, target, depth)
            self._cache[target] = facts
            _SHARED[target] = (tree, facts)
            while len(_SHARED) > _SHARED_ENTRIES:
                _SHARED.popitem(last=False)
        return self._cache[target]
