"""Top-level functions that the worker pool tests send to worker processes."""

from __future__ import annotations

import time

from keel.errors import InvalidInput


def add(a: int, b: int) -> int:
    return a + b


def fail_invalid() -> None:
    raise InvalidInput("bad", code="analysis.syntax_error")


def fail_unexpected() -> None:
    raise ValueError("surprise")


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


_HELD: list[bytearray] = []


def hold_megabytes(mb: int) -> int:
    """Grow the worker for good, like a big analysis that CPython does not give back."""
    _HELD.append(bytearray(mb * 1024 * 1024))
    return len(_HELD)
