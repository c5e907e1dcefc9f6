"""Fixtures shared by the unit tests: a chaos provider server on 127.0.0.1."""

from __future__ import annotations

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
