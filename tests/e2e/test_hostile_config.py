"""End to end against `keel serve`: a broken workflows file leaves the built-ins working, hostile
target paths are invalid params, a target with nothing to read is refused, and history reads
fail with the storage error while storage is down."""

from __future__ import annotations

import os

import pytest

from .helpers import (
    component,
    error_data,
    initialize,
    on_shared_server,
    poll_until,
    request,
    request_error,
)

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("kind", ["invalid-utf8", "fifo"])
async def test_a_broken_workflows_file_keeps_every_builtin_path_working(lsp, workspace, kind):
    (workspace / ".keel").mkdir()
    path = workspace / ".keel" / "workflows.toml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b'[[workflow]]\nid = "caf\xe9"\n')
    await initialize(lsp, workspace, {"workspaceTrusted": True})  # untrusted, the file is not read
    listed = await request(lsp, "keel/listWorkflows")
    assert "review" in {w["id"] for w in listed["workflows"]}
    cost = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "a.py"})
    assert cost["files"] == 1
    result = await request(lsp, "keel/runWorkflow", {"workflow": "review", "target": "a.py"})
    assert result["status"] == "partial" and "error" not in result  # offline: LLM stage skipped
    config = component(await request(lsp, "keel/health"), "config")
    assert config["status"] == "degraded" and "workflows.toml" in config["detail"]


@on_shared_server
async def test_hostile_paths_are_invalid_params(shared):
    lsp = shared.lsp
    nul = await request_error(lsp, "keel/analyze", {"uri": shared.workspace.as_uri() + "/a%00.py"})
    assert nul.code == -32602 and error_data(nul)["field"] == "uri"
    long = await request_error(lsp, "keel/estimateCost",
                               {"workflow": "review", "target": "n" * 5000 + ".py"})
    assert long.code == -32602 and error_data(long)["code"] == "params.path_too_long"


@on_shared_server
async def test_a_target_with_nothing_to_read_is_refused(shared):
    (shared.workspace / "assets").mkdir()
    (shared.workspace / "assets" / "logo.py").write_bytes(b"\x89PNG\x00")
    exc = await request_error(shared.lsp, "keel/runWorkflow", {"workflow": "review", "target": "assets"})
    assert exc.code == -32602 and error_data(exc)["code"] == "target.no_input"
    assert error_data(exc)["skipped"] == {"binary": 1}


async def test_history_reads_fail_with_the_storage_error_while_storage_is_down(lsp, workspace,
                                                                            tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    await initialize(lsp, workspace, {"settings": {"storage": {"dir": str(blocker / "sub")}}})
    await poll_until(lambda: request(lsp, "keel/health"),
                     lambda health: component(health, "storage")["status"] != "ok",
                     "the storage writer thread reports its first (failed) open")
    for method in ("keel/runs", "keel/report"):
        exc = await request_error(lsp, method)
        assert exc.code == -32803 and error_data(exc)["code"].startswith("storage.")
