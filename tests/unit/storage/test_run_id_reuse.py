"""A client runId that an earlier server already used is refused, never merged into its row."""

from __future__ import annotations

import pytest

from keel.app import run_ops
from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.errors import InvalidInput
from keel.protocol.workflows import RunWorkflowParams
from keel.storage.reader import HistoryReader


def _server(ws, storage_dir) -> KeelApp:
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1)
    app.apply_settings({"storage": {"dir": str(storage_dir)}}, "settings")
    start_storage(app)
    return app


async def test_a_run_id_from_an_earlier_server_is_refused(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mod.py").write_text("def f(x):\n    return x\n")
    params = RunWorkflowParams(workflow="summarize", target="mod.py", run_id="client-run-1")
    first = _server(ws, tmp_path / "history")
    try:
        result = await run_ops.run_workflow(first, params)
        assert result.run_id == "client-run-1"
    finally:
        await first.aclose()

    second = _server(ws, tmp_path / "history")  # a restarted server: its run manager is empty
    try:
        with pytest.raises(InvalidInput) as info:
            await run_ops.run_workflow(second, params)
        assert info.value.code == "run.id_in_use" and info.value.details == {"field": "runId"}
        fresh = await run_ops.run_workflow(second, params.model_copy(update={"run_id": "client-run-2"}))
        assert fresh.run_id == "client-run-2"
    finally:
        await second.aclose()
    path = second.storage.db_path
    with HistoryReader(path) as reader:
        assert sorted(r.run_id for r in reader.list_runs()) == ["client-run-1", "client-run-2"]
