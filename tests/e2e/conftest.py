from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from .helpers import accept_registrations, config, keep_raw_json


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def f(x):\n    return x\n")
    return root


@pytest_asyncio.fixture
async def lsp(tmp_path):
    """A pytest-lsp client connected to a fresh `keel serve` (not yet initialized)."""
    client = await config(tmp_path).start(devtools=None)
    keep_raw_json(client)
    accept_registrations(client)
    yield client
    process = client._server
    if process is not None and process.returncode is None:
        try:
            if client.capabilities is not None and client.error is None:
                await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception:
            pass  # the test may have left the server unable to answer; it is killed below
        if process.returncode is None:
            process.kill()
    await client.stop()
