"""The storage component's health, as the health monitor shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

StorageStatus = Literal["ok", "degraded", "down"]


@dataclass(frozen=True)
class StorageHealth:
    """``ok``: writing. ``degraded``: writes are retried (e.g. a lock), events wait in memory.
    ``down``: nothing can be written (unwritable dir, disk full, newer schema); events wait in a
    bounded buffer (oldest dropped, counted) and writing is retried periodically."""

    status: StorageStatus
    detail: str
    fix: str | None
    queued: int
    dropped: int
    last_error: str | None


HealthListener = Callable[[StorageHealth], None]
