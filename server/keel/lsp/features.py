"""Standard LSP features beyond the lifecycle (diagnostics, code actions, watched files).

Feature modules add themselves through ``FEATURE_REGISTRARS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FEATURE_REGISTRARS: list[Callable[[Any], None]] = []


def register_features(server: Any) -> None:
    for register in FEATURE_REGISTRARS:
        register(server)
