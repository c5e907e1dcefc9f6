from __future__ import annotations

import pytest

from keel.app.state import KeelApp

from .harness import InProcessServer


@pytest.fixture
async def served(tmp_path):
    """An initialized in-process server (storage and workers are not started: not needed here)."""
    root = tmp_path / "ws"
    root.mkdir()
    server = InProcessServer(KeelApp(worker_pool_size=1))
    await server.initialize(root)
    yield server
    await server.close()
