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
from keel.app.history_ops import start_storage
from keel.app.state import KeelApp
from keel.protocol.workflows import RunWorkflowParams


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def make_app(workspace: Path, storage_dir: Path) -> KeelApp:
    app = KeelApp(workspace_folders=[workspace], worker_pool_size=1)
    app.apply_settings({"storage": {"dir": str(storage_dir)}}, "settings")
    start_storage(app)
    return app


async def one_run(app: KeelApp, workspace: Path, i: int) -> tuple[bool, float]:
    (workspace / "mod.py").write_text(f"def f(x):\n    return x + {i}\n")
    started = time.perf_counter()
    result = await run_ops.run_workflow(app, RunWorkflowParams(workflow="summarize", target="mod.py"))
    # partial: offline, the LLM stage is skipped with its reason; the static stage ran.
    return result.status in ("succeeded", "partial"), (time.perf_counter() - started) * 1000


def summary(results: list[tuple[bool, float]], app: KeelApp) -> dict:
    latencies = [r[1] for r in results]
    health = app.storage.health()
    return {"runs": len(results), "success_rate": sum(r[0] for r in results) / len(results),
            "latency_ms": {"p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
                           "mean": round(statistics.mean(latencies), 2)},
            "storage_status": health.status}


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    root = Path(tempfile.mkdtemp(prefix="keel-storage-broken-"))
    blocker = root / "not-a-folder"
    blocker.write_text("a regular file: nothing can be created below it")
    spaces = {name: root / name for name in ("healthy", "broken")}
    for folder in spaces.values():
        folder.mkdir()
    apps = {"healthy": make_app(spaces["healthy"], root / "store"),
            "broken": make_app(spaces["broken"], blocker / "sub")}
    results: dict[str, list[tuple[bool, float]]] = {"healthy": [], "broken": []}
    for i in range(runs + 5):  # interleaved, so drift and warm-up hit both alike
        for name, app in apps.items():
            outcome = await one_run(app, spaces[name], i)
            if i >= 5:
                results[name].append(outcome)
    report = {name: summary(results[name], apps[name]) for name in apps}
    for app in apps.values():
        await app.aclose()
    healthy, broken = report["healthy"], report["broken"]
    print(json.dumps({
        **report,
        "success_rate_difference": round(healthy["success_rate"] - broken["success_rate"], 4),
        "mean_latency_difference_pct": round(
            100 * (broken["latency_ms"]["mean"] - healthy["latency_ms"]["mean"]) / healthy["latency_ms"]["mean"], 2),
        "goal": "< 1 % difference (success rate and latency)",
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
