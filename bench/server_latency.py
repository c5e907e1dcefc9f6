"""Issue-2 figures: spawn of `keel serve` → initialize answered, and keel/health round trips.

Prints JSON. Goals: spawn→initialize ≤ 500 ms; health p50 ≤ 1 ms (1,000 sequential requests).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time

from keel.rpc_client import KeelClient


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def spawn_to_initialize(workspace: str) -> tuple[float, float, bool]:
    """(spawn → initialize answered, spawn → first keel/health answered, whether that answer
    was the fast start's "starting" report: the server was still loading at 80 % of the
    health deadline), in ms."""
    started = time.perf_counter()
    client = await KeelClient.spawn()
    await client.initialize(workspace)
    initialized = (time.perf_counter() - started) * 1000
    report = await client.request("keel/health")
    first_answer = (time.perf_counter() - started) * 1000
    await client.shutdown()
    return initialized, first_answer, bool(report.get("starting"))


async def main() -> None:
    spawns = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    workspace = tempfile.mkdtemp(prefix="keel-bench-")
    both = [await spawn_to_initialize(workspace) for _ in range(spawns)]
    startup = [b[0] for b in both]
    first_answers = [b[1] for b in both]
    client = await KeelClient.spawn()
    await client.initialize(workspace)
    for _ in range(50):  # warm-up
        await client.request("keel/health")
    rtts = []
    for _ in range(requests):
        t = time.perf_counter()
        await client.request("keel/health")
        rtts.append((time.perf_counter() - t) * 1000)
    await client.shutdown()
    print(json.dumps({
        "spawn_to_initialize_ms": {"median": round(statistics.median(startup), 1),
                                   "min": round(min(startup), 1), "max": round(max(startup), 1),
                                   "runs": spawns, "goal": "<= 500"},
        "spawn_to_first_health_answer_ms": {"median": round(statistics.median(first_answers), 1),
                                            "answered_starting": sum(b[2] for b in both),
                                            "note": "pygls finishes loading after initialize"},
        "health_round_trip_ms": {"p50": round(pct(rtts, 0.50), 3), "p99": round(pct(rtts, 0.99), 3),
                                 "requests": requests, "goal": "p50 <= 1"},
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
