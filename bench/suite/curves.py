"""Scaling curves: how each cost grows with the size of the work.

- estimate time (cold and warm) and the server's RSS against files in the workspace;
- analysis time against file size (100 to 50,000 lines);
- workflow run time against target size (files in the target folder);
- `keel/health` latency against requests in flight (1, 16, 64).

Every point is measured over the wire against a real `keel serve`.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import time
from typing import Any

from common import (
    figure,
    generated_module,
    health_latencies,
    keel_server,
    lines_of,
    tree_memory_mb,
    wait_healthy,
)
from comparisons import (
    ESTIMATE_SETTINGS,
    SCRATCH,
    WATCHING_CLIENT,
    _estimate,
    build_tree,
    watcher_registered,
)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: a figure the machine's load barely moves."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _slope(small: dict[str, Any], large: dict[str, Any], key: str) -> float | None:
    """Log-log slope between two points: 1 is linear, above 1 grows faster than the tree."""
    if not small.get(key) or not large.get(key):
        return None
    return round(math.log(large[key] / small[key]) / math.log(large["files"] / small["files"]), 2)


async def estimate_by_files(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> list[dict[str, Any]]:
    """Cold and warm estimate against files, with the slope of cold time from the previous size.

    ``coldCpuS`` is the server's CPU time for the cold estimate: on a loaded
    machine it shows the algorithm's growth better than wall time does.
    """
    points: list[dict[str, Any]] = []
    for files in sizes:
        root = build_tree(files, size_bytes=1000 if files >= 100_000 else 2000)
        async with keel_server(root, SCRATCH / f"curve-estimate-{files}", ESTIMATE_SETTINGS,
                               capabilities=WATCHING_CLIENT) as client:
            await wait_healthy(client)
            await watcher_registered(client)
            cpu_before = _cpu_s(client.process.pid)
            cold, result = await _estimate(client)
            cold_cpu = _cpu_s(client.process.pid) - cpu_before
            warm = [(await _estimate(client))[0] for _ in range(3)]
            point = {"files": files, "coldMs": round(cold, 1),
                     "coldServerMs": result.get("durationMs"), "coldCpuS": round(cold_cpu, 2),
                     "warmMs": figure(warm, "ms")["median"],
                     "bytes": result.get("bytes"),
                     "serverRssMB": tree_memory_mb(client.process.pid)["rssMB"],
                     "loadAverage": [round(x, 2) for x in os.getloadavg()]}
            if points:
                point["coldSlope"] = _slope(points[-1], point, "coldMs")
                point["coldCpuSlope"] = _slope(points[-1], point, "coldCpuS")
            points.append(point)
    return points


async def analysis_by_size(sizes: tuple[int, ...] = (100, 1_000, 5_000, 10_000, 25_000, 50_000),
                           repeats: int = 3) -> list[dict[str, Any]]:
    work = SCRATCH / "curve-analysis"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    points = []
    async with keel_server(work, work / "data") as client:
        await wait_healthy(client)
        for lines in sizes:
            samples = []
            for repeat in range(repeats):
                path = work / f"m{lines}_{repeat}.py"
                text = generated_module(max(1, lines // 12), seed=repeat)
                path.write_text(text)
                started = time.perf_counter()
                await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=300)
                samples.append((time.perf_counter() - started) * 1000)
            points.append({"lines": lines_of(text), "ms": figure(samples, "ms")["median"]})
    return points


async def run_by_target(sizes: tuple[int, ...] = (10, 50, 200)) -> list[dict[str, Any]]:
    points = []
    for files in sizes:
        work = SCRATCH / f"curve-run-{files}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "ws" / "src").mkdir(parents=True)
        total = 0
        for index in range(files):
            text = generated_module(60, seed=index)
            total += lines_of(text)
            (work / "ws" / "src" / f"m{index}.py").write_text(text)
        async with keel_server(work / "ws", work) as client:
            await wait_healthy(client)
            started = time.perf_counter()
            result = await client.request("keel/runWorkflow", {"workflow": "review", "target": "src"},
                                          timeout=600)
            elapsed = (time.perf_counter() - started) * 1000
        points.append({"files": files, "lines": total, "ms": round(elapsed, 1),
                       "status": result.get("status"),
                       "findings": len((result.get("report") or {}).get("findings") or []),
                       "findingsTotal": result.get("findingsTotal")})
    return points


async def health_by_in_flight(levels: tuple[int, ...] = (1, 16, 64), samples: int = 40) -> list[dict[str, Any]]:
    work = SCRATCH / "curve-inflight"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    points = []
    async with keel_server(work, work / "data") as client:
        await wait_healthy(client)
        for level in levels:
            counter = 0
            stop = asyncio.Event()

            async def keep_busy(stop: asyncio.Event = stop, level: int = level) -> None:
                nonlocal counter
                while not stop.is_set():
                    counter += 1
                    path = work / f"busy{level}_{counter}.py"
                    path.write_text(generated_module(200, seed=counter))
                    try:
                        await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=120)
                    except Exception:
                        pass  # refused under load is a figure of its own, counted by the server

            busy = [asyncio.ensure_future(keep_busy()) for _ in range(level)]
            await asyncio.sleep(0.5)
            latencies = await health_latencies(client, samples, 30)
            stop.set()
            await asyncio.gather(*busy, return_exceptions=True)
            stats = figure(latencies, "ms")
            points.append({"inFlight": level, "p50Ms": stats["median"], "p99Ms": stats["p99"]})
    return points
