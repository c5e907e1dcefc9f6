"""Issue-3 figures: cancel latency mid-analysis of a 50,000-line file, and the next small analysis.

For each of N rounds: start keel/analyze on a generated 50,000-line file, cancel it
mid-way, time $/cancelRequest → -32800, then time a small analysis right after
(a warm worker must be ready: the killed one is replaced in the background).
Prints JSON with p50/p99. Goal: cancel p99 <= 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from keel.rpc_client import KeelClient, RpcError


def big_source(functions: int) -> str:
    return "".join(
        f"def f{i}(a, b, c):\n    total = 0\n    for x in range(a):\n"
        f"        if x % 2 and b or c:\n            total += x * {i}\n"
        f"        elif x > b:\n            total -= 1\n    while total > 100:\n"
        f"        total //= 2\n    return total\n\n"
        for i in range(functions))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    root = Path(tempfile.mkdtemp(prefix="keel-cancel-"))
    small = root / "small.py"
    small.write_text("def f(x):\n    return x + 1\n")
    client = await KeelClient.spawn()
    await client.initialize(str(root))
    await asyncio.sleep(1.5)  # let the worker pool warm up
    cancel_ms, next_ms, codes = [], [], []
    for i in range(rounds):
        huge = root / f"huge{i}.py"  # a new file each round: no cache hit
        huge.write_text(big_source(5000))
        msg_id, pending = client.send_request("keel/analyze", {"uri": huge.as_uri()})
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        client.cancel(msg_id)
        try:
            await pending
            codes.append("finished")
        except RpcError as exc:
            codes.append(exc.code)
        cancel_ms.append((time.perf_counter() - started) * 1000)
        small.write_text(f"def f(x):\n    return x + {i}\n")
        started = time.perf_counter()
        await client.request("keel/analyze", {"uri": small.as_uri()})
        next_ms.append((time.perf_counter() - started) * 1000)
        huge.unlink()
    await client.shutdown()
    print(json.dumps({
        "rounds": rounds,
        "cancelled_with_32800": sum(1 for c in codes if c == -32800),
        "cancel_to_response_ms": {"p50": pct(cancel_ms, 0.5), "p99": pct(cancel_ms, 0.99), "goal": "p99 <= 100"},
        "next_small_analysis_ms": {"p50": pct(next_ms, 0.5), "p99": pct(next_ms, 0.99)},
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
