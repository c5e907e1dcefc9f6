"""What keel/analyze reads: only regular files; anything else is refused without blocking."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from keel.app.documents import python_source
from keel.app.state import KeelApp
from keel.errors import InvalidInput

pytestmark = pytest.mark.timeout(20)  # a blocking read would hang here, not fail


@pytest.fixture
def app(tmp_path):
    made = KeelApp(workspace_folders=[tmp_path])
    yield made
    made.close()


async def refused(app, path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        await python_source(app, path.as_uri())
    assert caught.value.code == "analysis.not_a_file"
    assert caught.value.details == {"field": "uri"}
    assert str(path) in caught.value.message  # names the path
    return caught.value


async def test_fifo_is_refused_instead_of_blocking(app, tmp_path):
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    assert "FIFO" in (await refused(app, fifo)).message


async def test_socket_is_refused(app, tmp_path):
    path = tmp_path / "sock.py"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert "socket" in (await refused(app, path)).message
    finally:
        server.close()


async def test_device_behind_a_symlink_is_refused(tmp_path):
    link = tmp_path / "zero.py"
    link.symlink_to("/dev/zero")
    app = KeelApp(workspace_folders=[tmp_path, Path("/dev")])  # the device is inside a folder
    try:
        with pytest.raises(InvalidInput) as caught:
            await python_source(app, link.as_uri())
    finally:
        app.close()
    assert caught.value.code == "analysis.not_a_file" and "device" in caught.value.message


async def test_regular_file_is_read(app, tmp_path):
    path = tmp_path / "ok.py"
    path.write_text("x = 1\n")
    assert (await python_source(app, path.as_uri())).text == "x = 1\n"
