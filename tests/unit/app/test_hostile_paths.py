"""A NUL or an over-long name in a uri or target is -32602 naming the field, not internal.unexpected."""

from __future__ import annotations

import os

import pytest

from keel.app.state import KeelApp
from keel.errors import InvalidInput
from keel.lsp.dispatch import DispatchError, dispatch


@pytest.fixture
def app(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    a = KeelApp(worker_pool_size=1, workspace_folders=[tmp_path])
    yield a
    a.close()


@pytest.mark.parametrize(("method", "field", "make_value"), [
    ("keel/analyze", "uri", lambda root: root.as_uri() + "/a%00.py"),
    ("keel/analyze", "uri", lambda root: root.as_uri() + "/" + "n" * 5000 + ".py"),
    ("keel/estimateCost", "target", lambda root: root.as_uri() + "/a%00.py"),
    ("keel/estimateCost", "target", lambda root: "n" * 5000 + ".py"),
    ("keel/runWorkflow", "target", lambda root: root.as_uri() + "/a%00.py"),
])
async def test_hostile_path_is_invalid_params_naming_the_field(app, tmp_path, method, field,
                                                               make_value):
    params = {field: make_value(tmp_path)}
    if method != "keel/analyze":
        params["workflow"] = "summarize"
    with pytest.raises(DispatchError) as info:
        await dispatch(app, method, params, 1)
    assert isinstance(info.value.error, InvalidInput)
    assert info.value.error.details["field"] == field


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("method", ["keel/runWorkflow", "keel/estimateCost"])
async def test_a_fifo_target_is_invalid_params_naming_what_it_is(app, tmp_path, method):
    os.mkfifo(tmp_path / "pipe.py")
    with pytest.raises(DispatchError) as info:
        await dispatch(app, method, {"workflow": "review", "target": "pipe.py"}, 1)
    assert info.value.error.code == "target.not_a_file" and "FIFO" in info.value.error.message
