"""The method table (keel.protocol.methods) is the one list: every request has an operation.

``app/ops.py`` still names its operations by hand; until it is derived from the table,
this test keeps the two from parting ways.
"""

from __future__ import annotations

import importlib
import inspect

from keel.app.ops import OPS
from keel.protocol.methods import NOTIFICATIONS, REQUESTS


def test_every_request_has_an_operation_and_every_operation_a_request():
    assert set(OPS) == {spec.name for spec in REQUESTS}
    assert not set(OPS) & {spec.name for spec in NOTIFICATIONS}


def test_every_operation_names_a_coroutine_function_that_exists():
    missing = []
    for method, operation in OPS.items():
        module, _, name = operation.__qualname__.rpartition(".")
        target = getattr(importlib.import_module(f"keel.app.{module}"), name, None)
        if not inspect.iscoroutinefunction(target):
            missing.append(f"{method}: keel.app.{module}.{name}")
    assert missing == []
