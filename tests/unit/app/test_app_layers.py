"""The application layer's shape: state and services below the operations, no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

import keel.app

APP = Path(keel.app.__file__).parent


def _app_imports(module: str) -> set[str]:
    """The keel.app modules ``module`` imports anywhere (top level, TYPE_CHECKING, functions)."""
    tree = ast.parse((APP / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                found.update(n.split(".")[0] for n in names)
            elif node.level == 0 and (node.module or "").startswith("keel.app"):
                rest = (node.module or "").removeprefix("keel.app").lstrip(".")
                found.update([rest.split(".")[0]] if rest else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names
                         if a.name.startswith("keel.app.") and a.name.count(".") >= 2)
    return {m for m in found if (APP / f"{m}.py").exists()} - {module}


MODULES = sorted(p.stem for p in APP.glob("*.py") if p.stem != "__init__")
IMPORTS = {m: _app_imports(m) for m in MODULES}


def test_operations_never_import_each_other():
    ops = {m for m in MODULES if m.endswith("_ops")}
    assert {m: sorted(IMPORTS[m] & ops) for m in ops if IMPORTS[m] & ops} == {}


def test_state_and_services_stand_below_every_operation():
    assert IMPORTS["state"] <= {"ports"}
    assert IMPORTS["services"] <= {"state", "ports"}


def test_no_import_circle_inside_the_app_layer():
    def circle_from(start: str, path: list[str]) -> list[str] | None:
        for nxt in sorted(IMPORTS[path[-1]]):
            if nxt == start:
                return [*path, start]
            if nxt not in path and (found := circle_from(start, [*path, nxt])):
                return found
        return None

    circles = [c for m in MODULES if (c := circle_from(m, [m]))]
    assert circles == []
