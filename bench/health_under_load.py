"""Issue-22 point 5: `keel/health` round trips while N `keel/analyze` requests are in flight.

Keeps N analyses in flight (each on a distinct ~2,800-line module with ~500 findings, written
under the workspace as the suite's curve does, so no answer comes from the cache) and sends
`keel/health` every 20 ms; prints p50/p99/max per level with the load average and the analyses'
median round trip (at 1 in flight: a file saved, then analysed). Goal: p99 <= 50 ms at every level.

The load's answers are matched by their frame, not parsed (``LeanClient``): parsing 64 big
answers in this process would be charged to the probe's round trip, which is meant to measure
the server (an editor parses in its own process). ``KEEL_BENCH_SERVE=script.py`` runs the server
through a profiling wrapper (a loop-lag probe, say).

    python bench/health_under_load.py [--in-flight 1,16,64] [--samples 200] [--functions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from suite.common import generated_module, health_latencies  # bench/suite, beside this script

from keel.rpc_client import KeelClient

ID_NEAR_START = re.compile(rb'"id"\s*:\s*(-?\d+|"[^"]*")')
BIG_BODY = 64 * 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class RawAnswer(dict):
    """A big answer, kept as bytes until the caller parses it (``parsed()``)."""

    def __init__(self, body: bytes) -> None:
        super().__init__(bytes=len(body))
        self.body = body

    def parsed(self) -> Any:
        return json.loads(self.body).get("result")


class LeanClient(KeelClient):
    """A client that does not parse big answers while it measures: their id is read off the body's start."""

    def _receive(self, body: bytes) -> None:
        found = ID_NEAR_START.search(body, 0, 256) if len(body) > BIG_BODY else None
        if found is None or b'"error"' in body[:256]:
            super()._receive(body)
            return
        future = self._pending.pop(json.loads(found.group(1)), None)
        if future is not None and not future.done():
            future.set_result(RawAnswer(body))


async def spawn(env: dict[str, str]) -> LeanClient:
    args = None
    if os.environ.get("KEEL_BENCH_SERVE"):  # a profiling wrapper around `keel serve`
        args = [sys.executable, "-I", os.environ["KEEL_BENCH_SERVE"]]
    client = await LeanClient.spawn(args, env=env)
    assert isinstance(client, LeanClient)
    return client


async def one_level(client: LeanClient, folder: Path, base: str, level: int, samples: int,
                    counter: list[int]) -> dict[str, Any]:
    stop = asyncio.Event()
    done = refused = 0
    answer_bytes: list[int] = []
    analysis_ms: list[float] = []  # each analysis's round trip (at 1 in flight: the editor's save path)

    async def keep_busy() -> None:
        nonlocal done, refused
        while not stop.is_set():
            counter[0] += 1
            path = folder / f"busy_{counter[0] % 512}.py"
            # A distinct text each time: the analysis cache must not answer it.
            path.write_text(f"{base}# request {counter[0]}\n")
            try:
                started = time.perf_counter()
                answer = await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=300)
                analysis_ms.append((time.perf_counter() - started) * 1000)
                done += 1
                answer_bytes.append(answer.get("bytes", 0))
            except Exception:  # refused under load: counted, the load goes on
                refused += 1

    busy = [asyncio.ensure_future(keep_busy()) for _ in range(level)]
    await asyncio.sleep(1.0)
    load = os.getloadavg()[0]
    latencies = await health_latencies(client, samples, 60)
    stop.set()
    await asyncio.gather(*busy, return_exceptions=True)
    return {"inFlight": level, "samples": samples,
            "p50Ms": round(pct(latencies, 0.5), 1), "p99Ms": round(pct(latencies, 0.99), 1),
            "maxMs": round(max(latencies), 1), "analysesDone": done, "refused": refused,
            "answerKB": round(statistics.median(answer_bytes) / 1024) if answer_bytes else None,
            "analysisMedianMs": round(statistics.median(analysis_ms), 1) if analysis_ms else None,
            "loadAverage": round(load, 2)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--in-flight", default="1,16,64", help="levels of analyses in flight")
    parser.add_argument("--samples", type=int, default=200, help="health probes per level")
    parser.add_argument("--functions", type=int, default=200, help="functions per analysed module")
    parser.add_argument("--unindexed", action="store_true",
                        help="write the analysed files under .busy/, which the import index skips "
                             "(isolates the index's re-parse of each changed file)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait after start (the warm-up imports libcst, on a thread)")
    ns = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="keel-bench-inflight-"))
    env = dict(os.environ, XDG_DATA_HOME=str(work / "data"), XDG_STATE_HOME=str(work / "state"),
               XDG_CACHE_HOME=str(work / "cache"))
    client = await spawn(env)
    await client.initialize(str(work), {"workspaceTrusted": True}, process_id=os.getpid())
    await client.request("keel/health", timeout=60)
    await asyncio.sleep(ns.settle)  # the warm-up after `initialized`
    base, counter = generated_module(ns.functions), [0]
    folder = work / ".busy" if ns.unindexed else work
    folder.mkdir(exist_ok=True)
    points = [await one_level(client, folder, base, int(level), ns.samples, counter)
              for level in ns.in_flight.split(",")]
    print(json.dumps({"healthUnderLoad": points, "moduleLines": base.count("\n"),
                      "unindexed": ns.unindexed,
                      "goal": "health p99 <= 50 ms at every level"}, indent=2), flush=True)
    try:
        await client.shutdown()
    except (TimeoutError, ConnectionError):
        print("the server did not exit within 10 s of `exit`", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
