"""The in-flight request registry: the source of ``health.inFlight``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class InFlightSnapshot:
    total: int
    by_method: dict[str, int]


class InFlightRegistry:
    def __init__(self) -> None:
        self._by_method: Counter[str] = Counter()
        self._requests: dict[object, str] = {}

    @contextmanager
    def track(self, request_id: object, method: str) -> Iterator[None]:
        key = (request_id, id(object())) if request_id in self._requests else request_id
        self._requests[key] = method
        self._by_method[method] += 1
        try:
            yield
        finally:
            del self._requests[key]
            self._by_method[method] -= 1
            if self._by_method[method] <= 0:
                del self._by_method[method]

    def snapshot(self) -> InFlightSnapshot:
        return InFlightSnapshot(sum(self._by_method.values()), dict(self._by_method))
