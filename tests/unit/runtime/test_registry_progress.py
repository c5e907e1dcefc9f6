from __future__ import annotations

import pytest

from keel.runtime.progress import work_done_progress
from keel.runtime.registry import InFlightRegistry


def test_registry_counts_by_method_and_forgets_on_exit():
    registry = InFlightRegistry()
    with registry.track(1, "keel/analyze"), registry.track(2, "keel/analyze"):
        with registry.track(3, "keel/health"):
            snap = registry.snapshot()
            assert snap.total == 3 and snap.by_method == {"keel/analyze": 2, "keel/health": 1}
    assert registry.snapshot().total == 0 and registry.snapshot().by_method == {}


def test_registry_releases_on_error():
    registry = InFlightRegistry()
    with pytest.raises(RuntimeError), registry.track(1, "keel/runs"):
        raise RuntimeError("boom")
    assert registry.snapshot().total == 0


class RecordingSink:
    def __init__(self, can_create: bool) -> None:
        self.can_create = can_create
        self.events: list[tuple] = []

    async def create(self, token):
        self.events.append(("create", token))
        return self.can_create

    def begin(self, token, title, message, cancellable):
        self.events.append(("begin", token, title))

    def report(self, token, message, percentage):
        self.events.append(("report", token, message, percentage))

    def end(self, token, message):
        self.events.append(("end", token))


async def test_client_token_is_used_and_always_ended_even_on_error():
    sink = RecordingSink(can_create=True)
    with pytest.raises(ValueError):
        async with work_done_progress(sink, "Analyzing", client_token="tok-1") as progress:
            progress.report("half", 150)
            raise ValueError("x")
    assert sink.events == [("begin", "tok-1", "Analyzing"), ("report", "tok-1", "half", 100), ("end", "tok-1")]


async def test_fresh_token_per_operation_when_created():
    sink = RecordingSink(can_create=True)
    tokens = []
    for _ in range(2):
        async with work_done_progress(sink, "Run", create_if_missing=True) as progress:
            tokens.append(progress.token)
    assert tokens[0] != tokens[1] and all(str(t).startswith("keel-") for t in tokens)
    assert [e[0] for e in sink.events].count("end") == 2


async def test_no_progress_when_the_client_cannot_create_tokens():
    sink = RecordingSink(can_create=False)
    async with work_done_progress(sink, "Run", create_if_missing=True) as progress:
        progress.report("ignored")
    assert [e[0] for e in sink.events] == ["create"]
