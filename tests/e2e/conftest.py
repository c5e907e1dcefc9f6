from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from .helpers import accept_registrations, config, initialize, keep_raw_json, make_workspace


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws")


@pytest_asyncio.fixture
async def lsp(tmp_path):
    """A pytest-lsp client connected to a fresh `keel serve` (not yet initialized)."""
    client = await config(tmp_path).start(devtools=None)
    keep_raw_json(client)
    accept_registrations(client)
    yield client
    await stop(client)


async def stop(client: LanguageClient) -> None:
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


@dataclass(frozen=True)
class SharedServer:
    lsp: LanguageClient
    workspace: Path
    initialized: types.InitializeResult


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared(tmp_path_factory):
    """One initialized `keel serve` with default settings for the whole session.

    Only for tests that send read-only or idempotent requests and leave nothing
    behind that another test could see: each uses files of its own in the
    workspace, changes no settings, starts no run, kills no worker. Tests that
    need any of that, or test start-up and shutdown, take a fresh `lsp`. Tests
    using it run on the session's event loop (the client is bound to it):
    mark them with ``on_shared_server``.
    """
    base = tmp_path_factory.mktemp("shared-server")
    root = make_workspace(base / "ws")
    client = await config(base).start(devtools=None)
    keep_raw_json(client)
    accept_registrations(client)
    try:
        initialized = await initialize(client, root, {"workspaceTrusted": True})
        yield SharedServer(client, root, initialized)
    finally:
        await stop(client)
