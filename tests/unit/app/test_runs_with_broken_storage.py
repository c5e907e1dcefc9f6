"""Storage broken: runs keep succeeding, health says what is wrong and what to do."""

from __future__ import annotations

import asyncio

from keel.app import run_ops
from keel.app.health_ops import health
from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.protocol.health import HealthParams
from keel.protocol.workflows import RunWorkflowParams


async def test_runs_succeed_and_health_degrades_when_history_cannot_be_written(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mod.py").write_text("def f(x):\n    return x\n")
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1)
    app.apply_settings({"storage": {"dir": str(blocker / "sub")}}, "settings")
    start_storage(app)
    try:
        results = [await run_ops.run_workflow(app, RunWorkflowParams(workflow="summarize", target="mod.py"))
                   for _ in range(3)]
        assert [r.status for r in results] == ["partial"] * 3  # offline: the LLM stage is skipped
        assert all(r.stages[0].status == "succeeded" for r in results)
        for _ in range(100):  # the writer thread reports; the loop applies it
            report = await health(app, HealthParams())
            storage = next(c for c in report.components if c.name == "storage")
            if storage.status != "ok":
                break
            await asyncio.sleep(0.02)
        assert storage.status == "down" and "not writable" in storage.detail
        assert report.level == "degraded" and "keel.storage.dir" in (storage.fix or "")
    finally:
        await app.aclose()
