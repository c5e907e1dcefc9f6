"""Diagnostics publishing: a setting turns it off; a newer edit supersedes the pending analysis."""

from __future__ import annotations

import asyncio

from keel.app.state import KeelApp
from keel.lsp.advisor_features import DiagnosticsPublisher


class FakeServer:
    def __init__(self, app: KeelApp) -> None:
        self.app = app
        self.spawned: list[asyncio.Task] = []
        self.published: list = []

    def spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.spawned.append(task)
        return task

    def text_document_publish_diagnostics(self, params) -> None:
        self.published.append(params)


async def test_the_diagnostics_setting_turns_publishing_off():
    app = KeelApp(worker_pool_size=1)
    app.apply_settings({"advisor": {"diagnostics": False}}, "settings")
    server = FakeServer(app)
    DiagnosticsPublisher(server).schedule("file:///ws/a.py", 0.0)
    assert server.spawned == []
    app.close()


async def test_only_python_files_are_analysed_and_a_newer_edit_supersedes():
    app = KeelApp(worker_pool_size=1)
    server = FakeServer(app)
    publisher = DiagnosticsPublisher(server)
    publisher.schedule("file:///ws/notes.txt", 0.0)
    assert server.spawned == []
    publisher.schedule("file:///ws/a.py", 10.0)
    publisher.schedule("file:///ws/a.py", 10.0)
    await asyncio.sleep(0)
    first, second = server.spawned
    assert first.cancelled() and not second.done()
    publisher.clear("file:///ws/a.py")
    await asyncio.sleep(0)
    assert second.cancelled() and server.published[-1].diagnostics == []
    app.close()
