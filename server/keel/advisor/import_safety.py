"""Whether removing an unused import is safe: the workspace's proof (issue 23, Deliver 3).

Removing ``from m import name`` (or ``import m``) changes nothing when

1. nothing outside the module can reach ``name`` through it (``workspace.ExternalUse``:
   no module imports it from here, reads ``.name`` on this module, star-imports the
   module or imports it by a string; no ``getattr(x, "name")`` in the workspace; no
   module ``__getattr__``), and
2. the import's own effect, running module ``m``, stays: the statement keeps other
   names, or another module-level import of this file still imports ``m``, or ``m``
   is a standard-library module whose import has no effects beyond defining it
   (the few that do, such as ``readline`` or ``this``, are excluded).

An import under ``if TYPE_CHECKING:`` never runs, so nothing at run time can
reach it: always safe. Without a workspace index (a lone file), (1) cannot be
proven: unsafe.
"""

from __future__ import annotations

import ast
import sys

from keel.protocol import FixSafety

from .facts import ImportFact
from .workspace import ExternalUse

# standard-library modules whose import does something beyond defining names
_EFFECTFUL = frozenset((
    "antigravity", "this", "readline", "rlcompleter", "site", "sitecustomize", "usercustomize",
    "__hello__", "__phello__", "idlelib", "turtle", "turtledemo", "tkinter", "lib2to3",
    "faulthandler", "tracemalloc", "cgitb", "multiprocessing", "asyncio", "logging",
    "warnings", "encodings", "codecs", "locale", "mimetypes", "ssl", "socket",
))
_STDLIB = frozenset(sys.stdlib_module_names) - _EFFECTFUL

SAFE_TYPE_CHECKING = "Safe: the import is under 'if TYPE_CHECKING:', so it never runs."
NO_INDEX = ("Unsafe: other modules may import this name from here, and importing a module "
            "can have side effects; check before removing.")


def _module(imp: ImportFact) -> str:
    stmt = imp.stmt
    if isinstance(stmt, ast.ImportFrom):
        return "." * stmt.level + (stmt.module or "")
    return imp.alias.name


def _still_imported(imp: ImportFact, imports: list[ImportFact], going: set[int]) -> bool:
    """Another module-level import that stays (not unused itself) imports the same module."""
    module = _module(imp)
    top = module.split(".")[0]
    for other in imports:
        if other is imp or id(other) in going or other.guarded or other.type_checking \
                or other.qual:
            continue
        if other.stmt is imp.stmt:
            return True  # the statement stays, with its other names
        theirs = _module(other)
        if theirs == module or (not module.startswith(".") and theirs.split(".")[0] == top):
            return True
    return False


def import_safety(imp: ImportFact, imports: list[ImportFact], going: set[int],
                  usage: ExternalUse | None) -> tuple[FixSafety, str]:
    """("safe" | "unsafe", why) for removing ``imp``; ``going``: id() of the unused imports."""
    if imp.type_checking:
        return "safe", SAFE_TYPE_CHECKING
    if usage is None:
        return "unsafe", NO_INDEX
    user = usage.user_of(imp.bound)
    if user:
        return "unsafe", f"Unsafe: {user}; removing the import would break it."
    module = _module(imp)
    top = module.split(".")[0]
    if not module.startswith(".") and top in _STDLIB:
        return "safe", (f"Safe: no module of the workspace reaches '{imp.bound}' through this "
                        f"one, and importing the standard module '{top}' has no effects.")
    if _still_imported(imp, imports, going):
        return "safe", (f"Safe: no module of the workspace reaches '{imp.bound}' through this "
                        f"one, and '{module}' is still imported here.")
    return "unsafe", (f"Unsafe: no module of the workspace uses '{imp.bound}' from here, but "
                      f"importing '{module}' runs its code, which removing the import skips.")
