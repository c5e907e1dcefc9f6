"""End to end: cost estimates (supersede, deadline, workspace bounds) and history reads."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from lsprotocol import types

from .helpers import (
    component,
    error_data,
    initialize,
    on_shared_server,
    poll_until,
    request,
    request_error,
)

pytestmark = pytest.mark.timeout(90)


def age(root) -> None:
    """Files changed in the last 2 s are re-read by design (racy mtimes); make them older."""
    old = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (old, old))


def make_tree(root, files: int, size: int = 4000) -> None:
    pkg = root / "pkg"
    pkg.mkdir(exist_ok=True)
    line = "value = compute(alpha, beta) + other_function(gamma)  # comment\n"
    text = line * (size // len(line))
    for i in range(files):
        (pkg / f"m{i}.py").write_text(text)


async def test_estimate_is_priced_per_stage_and_cached_on_repeat(lsp, workspace):
    make_tree(workspace, 20)
    (workspace / ".gitignore").write_text("ignored/\n")
    (workspace / "ignored").mkdir()
    (workspace / "ignored" / "x.py").write_text("x = 1\n" * 1000)
    age(workspace)
    await initialize(lsp, workspace)
    first = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "."})
    assert first["files"] == 21  # 20 in pkg/ + a.py; ignored/ is skipped
    assert [s["id"] for s in first["stages"]] == ["static", "bugs", "review"]
    assert first["usd"]["low"] <= first["usd"]["expected"] <= first["usd"]["high"]
    again = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "."})
    assert again["cachedFiles"] == 21 and again["inputTokens"] == first["inputTokens"]


@on_shared_server
async def test_estimate_outside_the_workspace_is_rejected(shared):
    outside = str(shared.workspace.parent)
    exc = await request_error(shared.lsp, "keel/estimateCost", {"workflow": "review", "target": outside})
    assert exc.code == -32602 and error_data(exc)["code"] == "target.outside_workspace"
    exc = await request_error(shared.lsp, "keel/estimateCost", {"workflow": "nope", "target": "."})
    assert exc.code == -32602 and "review" in exc.message


async def test_a_newer_estimate_supersedes_the_one_in_flight(lsp, workspace):
    make_tree(workspace, 3000, size=2000)
    await initialize(lsp, workspace)
    # The estimate code is imported on first use; a request that arrives just as that import
    # ends can pass one still waiting for it (app/ops.py _lazy). Load it first.
    await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "a.py"})
    older = asyncio.wrap_future(lsp.protocol.send_request(
        "keel/estimateCost", {"workflow": "review", "target": "."}, msg_id="est-1"))
    await poll_until(lambda: request(lsp, "keel/health"),
                     lambda health: "keel/estimateCost" in health["inFlight"]["byMethod"],
                     "the first estimate is in flight")
    newer = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "pkg"})
    assert newer["files"] == 3000
    with pytest.raises(Exception) as info:
        await older
    assert info.value.code == -32802
    assert error_data(info.value)["code"] == "estimate.superseded" and error_data(info.value)["transient"]


async def test_an_estimate_that_cannot_finish_in_time_is_a_timeout_not_a_number(lsp, workspace):
    make_tree(workspace, 3000, size=2000)
    await initialize(lsp, workspace)
    exc = await request_error(lsp, "keel/estimateCost",
                              {"workflow": "review", "target": ".", "timeoutMs": 5})
    assert exc.code == -32803 and error_data(exc)["errorType"] == "timeout"


@on_shared_server
async def test_watched_file_changes_invalidate_the_estimate_cache(shared):
    lsp, path = shared.lsp, shared.workspace / "watched.py"
    path.write_text("def f(x):\n    return x\n")
    age(path)
    first = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "watched.py"})
    lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)]))
    second = await request(lsp, "keel/estimateCost", {"workflow": "review", "target": "watched.py"})
    assert first["cachedFiles"] == 0 and second["cachedFiles"] == 0


@on_shared_server
async def test_history_is_empty_then_lists_runs_newest_first(shared):
    # No test on the shared server starts a run.
    assert (await request(shared.lsp, "keel/runs", {"limit": 5}))["runs"] == []
    report = await request(shared.lsp, "keel/report", {"days": 7})
    assert report["runs"] == 0 and report["days"] == 7
    health = await request(shared.lsp, "keel/health")
    storage = component(health, "storage")
    assert storage["status"] == "ok"


@on_shared_server
async def test_server_asks_the_client_to_watch_workspace_files(shared):
    lsp = shared.lsp
    await poll_until(lambda: lsp.registrations, bool, "the server registered for watched files")
    assert [r.method for r in lsp.registrations] == ["workspace/didChangeWatchedFiles"]
    options = lsp.registrations[0].register_options
    watchers = options["watchers"] if isinstance(options, dict) else options.watchers
    pattern = watchers[0]["globPattern"] if isinstance(watchers[0], dict) else watchers[0].glob_pattern
    assert pattern == "**/*"
