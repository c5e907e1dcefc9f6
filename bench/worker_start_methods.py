"""Issue-13 figures: what the spawn start method (Windows, macOS) costs against forkserver (Linux).

For each start method, a one-worker pool warmed like the server's
(``keel.app.analysis_worker``): the first analysis (pool start included),
then N rounds of "kill the worker mid-call, then a small analysis", which
waits for the replacement to start and warm up. Prints JSON with p50/p99.
No goal: the figure says what users of the spawn platforms wait after a cancel.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from keel.advisor.engine import analyze_source
from keel.runtime.workers import StartMethod, WorkerPool

SMALL = "def f(x):\n    return x + 1\n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def measure(method: StartMethod, rounds: int) -> dict[str, object]:
    pool = WorkerPool(size=1, warm_imports=("keel.app.analysis_worker",), start_method=method)
    try:
        started = time.perf_counter()
        await pool.run(analyze_source, SMALL, "file:///first.py")
        first_ms = (time.perf_counter() - started) * 1000
        after_kill: list[float] = []
        for _ in range(rounds):
            busy = asyncio.ensure_future(pool.run(spin, 60.0))
            await asyncio.sleep(0.05)
            busy.cancel()  # kills the worker; a replacement starts in the background
            await asyncio.gather(busy, return_exceptions=True)
            started = time.perf_counter()
            await pool.run(analyze_source, SMALL, "file:///after-kill.py")
            after_kill.append((time.perf_counter() - started) * 1000)
        return {"first_analysis_ms": round(first_ms, 1),
                "analysis_after_kill_p50_ms": pct(after_kill, 0.5),
                "analysis_after_kill_p99_ms": pct(after_kill, 0.99), "rounds": rounds}
    finally:
        pool.close()


async def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    methods: tuple[StartMethod, ...] = ("forkserver", "spawn")
    figures = {method: await measure(method, rounds) for method in methods}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
