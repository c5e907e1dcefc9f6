"""The method table (keel.protocol.methods) is the one list: every request names the operation
that serves it, and every trait the server treats a method by is on its spec.

``app/ops.py`` imports each ``operation="module:function"`` reference lazily; these tests fail
when a reference names a module or function that does not exist, or no coroutine.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from keel.app.ops import OPS
from keel.protocol.methods import METHODS, NOTIFICATIONS, REQUESTS

SERVER = Path(__file__).resolve().parents[2] / "server" / "keel"


def test_every_request_names_its_operation_and_no_notification_has_one():
    assert [spec.name for spec in REQUESTS if not spec.operation] == []
    assert [spec.name for spec in NOTIFICATIONS if spec.operation] == []
    assert set(OPS) == {spec.name for spec in REQUESTS}


def test_every_operation_reference_resolves_to_an_async_function_of_that_name():
    wrong = []
    for spec in REQUESTS:
        assert spec.operation is not None
        module, colon, name = spec.operation.partition(":")
        target = getattr(importlib.import_module(module), name, None) if colon else None
        if not (inspect.iscoroutinefunction(target) and target.__name__ == name
                and target.__module__ == module):
            wrong.append(f"{spec.name}: {spec.operation}")
        assert OPS[spec.name].__qualname__ == spec.operation
    assert wrong == []


def test_the_traits_are_on_the_specs():
    never_queued = {spec.name for spec in REQUESTS if not spec.queued}
    assert never_queued == {"keel/health", "keel/cancelRun"}
    assert {spec.name: spec.deadline_answer_grace_ms for spec in REQUESTS
            if spec.answers_deadline_as_data} == {"keel/runWorkflow": 1000}
    assert {spec.name for spec in REQUESTS if spec.server_progress} == {"keel/runWorkflow", "keel/analyze"}
    assert METHODS["keel/report"].operation == "keel.app.reliability_ops:report"


def _method_literals(path: Path) -> list[str]:
    """Every string constant in ``path`` that is exactly a method's name."""
    names = set(METHODS)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(SERVER)}:{node.lineno}: {node.value}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names]


def test_no_method_name_is_spelled_outside_the_protocol_and_generated_files():
    generated = {SERVER / "lsp" / "method_names.py"}
    found = [hit for path in sorted(SERVER.rglob("*.py"))
             if SERVER / "protocol" not in path.parents and path not in generated
             for hit in _method_literals(path)]
    assert found == []
