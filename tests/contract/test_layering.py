"""Architecture invariants that a reader of the import graph can check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "keel"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield rel, path.read_text(encoding="utf-8")


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_only_lsp_imports_pygls_and_lsprotocol():
    offenders = [str(rel) for rel, src in _modules()
                 if _top(rel) != "lsp" and any(n.split(".")[0] in ("pygls", "lsprotocol") for n in _imports(src))]
    assert offenders == []


def test_protocol_imports_nothing_else_from_keel():
    offenders = []
    for rel, src in _modules():
        if _top(rel) != "protocol":
            continue
        for name in _imports(src):
            if name == "keel" or (name.startswith("keel.") and not name.startswith("keel.protocol")):
                offenders.append(f"{rel}: {name}")
    assert offenders == []


def test_tenacity_only_in_resilience():
    offenders = [str(rel) for rel, src in _modules()
                 if _top(rel) != "resilience" and any(n.split(".")[0] == "tenacity" for n in _imports(src))]
    assert offenders == []


def test_deadline_primitives_only_in_runtime_and_resilience():
    pattern = re.compile(r"\b(fail_after|move_on_after)\s*\(")
    offenders = [str(rel) for rel, src in _modules()
                 if _top(rel) not in ("runtime", "resilience") and pattern.search(src)]
    assert offenders == []


def test_no_print_in_server_code_and_no_time_sleep_in_async_code():
    offenders = []
    for rel, src in _modules():
        tree = ast.parse(src)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print" and _top(rel) != "cli"):
                offenders.append(f"{rel}:{node.lineno} print")
            if isinstance(node, ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    func = getattr(inner, "func", None)
                    if (isinstance(inner, ast.Call) and isinstance(func, ast.Attribute)
                            and func.attr == "sleep" and isinstance(func.value, ast.Name)
                            and func.value.id == "time"):
                        offenders.append(f"{rel}:{inner.lineno} time.sleep in async code")
    assert offenders == []


def test_no_bare_except_and_cancellation_is_reraised():
    offenders = []
    for rel, src in _modules():
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, ast.ExceptHandler):
                continue
            if node.type is None:
                offenders.append(f"{rel}:{node.lineno} bare except")
                continue
            caught = ast.unparse(node.type)
            if re.search(r"\b(BaseException|CancelledError)\b", caught):
                reraises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
                if not reraises:
                    offenders.append(f"{rel}:{node.lineno} swallows {caught}")
    assert offenders == []


def test_modules_stay_small():
    large = [f"{rel} ({src.count(chr(10))} lines)" for rel, src in _modules() if src.count("\n") > 450]
    assert large == []
