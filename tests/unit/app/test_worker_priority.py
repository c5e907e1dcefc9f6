"""Issue 22 point 5: the app's analysis workers run below the server's priority, so the loop gets the CPU first."""

from __future__ import annotations

import os
import sys

import pytest

from keel.app import worker_priority
from keel.app.state import KeelApp

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(sys.platform == "win32", reason="Windows has no nice(); workers keep their priority")]


async def test_the_apps_workers_are_niced_below_the_server():
    app = KeelApp(worker_pool_size=1)
    try:
        server = os.nice(0)
        worker = await app.workers.run(os.nice, 0)  # the worker's own niceness
    finally:
        app.close()
    assert worker == min(19, server + worker_priority.WORKER_NICENESS)
    assert os.nice(0) == server  # the server process itself is left as it was


def test_a_sandbox_that_refuses_nice_leaves_the_worker_running(monkeypatch):
    def refuse(increment: int) -> int:
        raise PermissionError("not allowed here")

    monkeypatch.setattr(os, "nice", refuse)
    worker_priority.warm()  # no exception: the worker still reports ready
