"""Issue-9 figures: the first click costs what the tenth costs.

1. `keel/health` round trips every 10 ms for `--warm-s` seconds from the first
   `keel/health` answer after `initialized` (the server has loaded; the wait for
   that first answer is the start-up path, measured by server_latency.py): the
   loop while the warm-up (modules, validators, provider clients, workers,
   history) runs in the background. Goal: p99 <= 50 ms.
2. After an idle start (the warm-up done), `review` runs against the chaos
   server as an instant OpenAI-compatible provider: the first run vs the
   median of the later ones. Goal: within 300 ms.
3. A deadline against a hung provider on a fresh server: `timeoutMs` 1500 sent
   right after `initialized`, client-measured overrun, then the same in steady
   state. Goal: overrun <= 100 ms, always a `timedOut` RunResult.

    python bench/first_click.py [--runs 6] [--warm-s 6] [--idle-s 10] [--servers 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from keel.chaos import ChaosServer
from keel.chaos.schedule import Fault, Schedule
from keel.entry_hooks import install_entry_hooks
from keel.rpc_client import KeelClient, RpcError

install_entry_hooks()  # an entry point: structlog (the chaos server's log) to stderr; stdout is this script's JSON

BUGGY = "def check(x, seen={}):\n    if x == None:\n        return 0\n    return x is 1\n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def start(chaos: ChaosServer) -> tuple[KeelClient, Path]:
    workspace = Path(tempfile.mkdtemp(prefix="keel-bench-first-"))
    (workspace / "buggy.py").write_text(BUGGY)
    env = dict(os.environ, KEEL_BENCH_KEY="not-a-secret",
               XDG_DATA_HOME=str(workspace / ".data"))
    client = await KeelClient.spawn(env=env)
    provider = {"id": "chaos", "kind": "openai", "baseUrl": chaos.openai_base_url,
                "apiKeyEnv": "KEEL_BENCH_KEY"}
    await client.initialize(str(workspace), {"settings": {"providers": [provider]},
                                             "workspaceTrusted": True})
    return client, workspace


async def health_during_warm_up(chaos: ChaosServer, seconds: float) -> list[float]:
    client, _ = await start(chaos)
    await client.request("keel/health")  # the server has finished loading
    rtts, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        await client.request("keel/health")
        rtts.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.01)
    await client.shutdown()
    return rtts


async def timed_run(client: KeelClient, **extra) -> tuple[float, dict | str]:
    started = time.perf_counter()
    try:
        result = await client.request("keel/runWorkflow", {"workflow": "review",
                                                            "target": "buggy.py", **extra},
                                      timeout=120)
    except RpcError as error:
        return (time.perf_counter() - started) * 1000, f"error {error.code}"
    return (time.perf_counter() - started) * 1000, result


async def first_vs_later(chaos: ChaosServer, runs: int, idle_s: float) -> list[float]:
    client, _ = await start(chaos)
    await asyncio.sleep(idle_s)  # an idle start: the user opens the window, then clicks
    times = []
    for _ in range(runs):
        elapsed, result = await timed_run(client)
        assert isinstance(result, dict) and result["status"] == "succeeded", result
        times.append(elapsed)
    await client.shutdown()
    return times


async def deadline_overruns(hung: ChaosServer, timeout_ms: int, steady: int) -> dict:
    client, _ = await start(hung)  # no idle: the request follows `initialized` at once
    first_ms, first = await timed_run(client, timeoutMs=timeout_ms)
    later = [await timed_run(client, timeoutMs=timeout_ms) for _ in range(steady)]
    await client.shutdown()
    status = first["status"] if isinstance(first, dict) else first
    return {"first": (round(first_ms - timeout_ms, 1), status),
            "steady": [(round(ms - timeout_ms, 1),
                        r["status"] if isinstance(r, dict) else r) for ms, r in later]}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--warm-s", type=float, default=6.0)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--servers", type=int, default=3)
    ns = parser.parse_args()
    report: dict = {}
    async with ChaosServer(Schedule.healthy()) as chaos, \
            ChaosServer(Schedule.always(Fault.HANG)) as hung:
        rtts: list[float] = []
        firsts, laters = [], []
        overruns = []
        for _ in range(ns.servers):
            rtts += await health_during_warm_up(chaos, ns.warm_s)
            times = await first_vs_later(chaos, ns.runs, ns.idle_s)
            firsts.append(times[0])
            laters.append(statistics.median(times[1:]))
            overruns.append(await deadline_overruns(hung, 1500, 3))
    report["health_during_warm_up_ms"] = {"p50": pct(rtts, 0.5), "p99": pct(rtts, 0.99),
                                          "max": pct(rtts, 1.0), "probes": len(rtts),
                                          "goal": "p99 <= 50"}
    report["first_vs_later_run_ms"] = {
        "first": [round(t) for t in firsts], "later_median": [round(t) for t in laters],
        "first_minus_later": [round(f - t) for f, t in zip(firsts, laters, strict=True)],
        "goal": "first within 300 ms of later"}
    firsts_over = [o["first"][0] for o in overruns]
    steady_over = [s[0] for o in overruns for s in o["steady"]]
    report["deadline_overrun_ms"] = {
        "first_request": overruns, "first_max": max(firsts_over),
        "steady_p99": pct(steady_over, 0.99), "goal": "<= 100, always timedOut"}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
