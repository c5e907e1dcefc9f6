"""The estimate cache trusts file events only once the client has accepted the watcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from lsprotocol import types

from keel.app.services import cost_state
from keel.app.state import KeelApp
from keel.lsp.server import _watch_workspace_files


def fake_server(app: KeelApp, register, dynamic: bool = True) -> SimpleNamespace:
    caps = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=dynamic)))
    return SimpleNamespace(app=app, client_capabilities=caps, client_register_capability_async=register)


def test_an_accepted_registration_lets_estimates_trust_events(tmp_path: Path) -> None:
    app = KeelApp(workspace_folders=[tmp_path])

    async def accept(params):
        return None

    asyncio.run(_watch_workspace_files(fake_server(app, accept)))
    assert cost_state(app).cache.watching is True


@pytest.mark.parametrize("dynamic", [True, False])
def test_a_refused_or_impossible_registration_keeps_the_stat_fallback(tmp_path: Path,
                                                                      dynamic: bool) -> None:
    app = KeelApp(workspace_folders=[tmp_path])

    async def refuse(params):
        raise RuntimeError("the client refused")

    asyncio.run(_watch_workspace_files(fake_server(app, refuse, dynamic)))
    assert cost_state(app).cache.watching is False
