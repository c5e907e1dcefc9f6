"""Fixtures shared by the unit tests: a chaos provider server on 127.0.0.1, a signal recorder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from keel.chaos import ChaosServer


@pytest.fixture
async def chaos() -> AsyncIterator[ChaosServer]:
    server = ChaosServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def signals_sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """``os.kill`` replaced by a recorder of (pid, signal).

    On Windows ``os.kill`` with any signal but Ctrl-C/Ctrl-Break terminates the
    process, so a liveness check must send nothing. A test that ends its own
    children calls ``monkeypatch.undo()`` first.
    """
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    return sent
