from __future__ import annotations

import pytest

from keel.runtime.clock import FakeClock
from keel.runtime.deadline import Deadline


class WindowTop:
    """A 'random' source that always picks the top of the jitter window, and records windows."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.windows.append((a, b))
        return b


class FakeSleeper:
    """An injectable sleep that advances the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeper(clock: FakeClock) -> FakeSleeper:
    return FakeSleeper(clock)


@pytest.fixture
def rng() -> WindowTop:
    return WindowTop()


@pytest.fixture
def deadline(clock: FakeClock) -> Deadline:
    return Deadline(clock.now() + 300.0, clock)
