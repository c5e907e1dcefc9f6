"""Reliability target 6: runs with storage broken vs healthy (goal: < 1 % difference).

Runs the offline `summarize` workflow N times in-process (static stages; LLM stages are
skipped with no provider), once with a healthy history database and once with the
storage folder under a regular file (nothing can be written). Prints success rates
and latency percentiles of both, and the storage health seen while broken.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from keel.app import run_ops
from keel.app.history_ops import close_storage, start_storage
from keel.app.state import KeelApp
from keel.protocol.workflows import RunWorkflowParams


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def measure(workspace: Path, storage_dir: Path, runs: int) -> dict:
    app = KeelApp(workspace_folders=[workspace], worker_pool_size=2)
    app.apply_settings({"storage": {"dir": str(storage_dir)}}, "settings")
    start_storage(app)
    latencies, ok = [], 0
    for i in range(runs):
        (workspace / "mod.py").write_text(f"def f(x):\n    return x + {i}\n")
        started = time.perf_counter()
        result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="summarize", target="mod.py"))
        latencies.append((time.perf_counter() - started) * 1000)
        ok += result.status in ("succeeded", "partial")  # partial: offline, LLM stage skipped
    health = app.extensions["recorder"].health()
    await close_storage(app)
    app.close()
    return {"runs": runs, "success_rate": ok / runs, "latency_ms": {
        "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99), "mean": round(statistics.mean(latencies), 2)},
        "storage_status": health.status, "storage_detail": health.detail[:80]}


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    root = Path(tempfile.mkdtemp(prefix="keel-storage-broken-"))
    workspace = root / "ws"
    workspace.mkdir()
    blocker = root / "not-a-folder"
    blocker.write_text("a regular file: nothing can be created below it")
    await measure(workspace, root / "warmup", 5)  # warm the worker pool and imports
    healthy = await measure(workspace, root / "healthy", runs)
    broken = await measure(workspace, blocker / "sub", runs)
    print(json.dumps({
        "healthy": healthy, "broken": broken,
        "success_rate_difference": round(healthy["success_rate"] - broken["success_rate"], 4),
        "p50_latency_difference_pct": round(
            100 * (broken["latency_ms"]["p50"] - healthy["latency_ms"]["p50"]) / healthy["latency_ms"]["p50"], 2),
        "goal": "< 1 % difference",
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
