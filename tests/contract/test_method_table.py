"""The method table (keel.protocol.methods) is the one list: every request has an operation.

``app/ops.py`` derives its operations from the table by a naming rule; these tests fail
when a request names a feature or an operation that does not exist.
"""

from __future__ import annotations

import importlib
import inspect

from keel.app.ops import OPS
from keel.protocol.methods import NOTIFICATIONS, REQUESTS


def test_every_request_names_its_feature_and_no_notification_has_an_operation():
    assert [spec.name for spec in REQUESTS if not spec.feature] == []
    assert not set(OPS) & {spec.name for spec in NOTIFICATIONS}


def test_every_operation_names_a_coroutine_function_that_exists():
    missing = []
    for method, operation in OPS.items():
        module, _, name = operation.__qualname__.rpartition(".")
        target = getattr(importlib.import_module(f"keel.app.{module}"), name, None)
        if not inspect.iscoroutinefunction(target):
            missing.append(f"{method}: keel.app.{module}.{name}")
    assert missing == []
