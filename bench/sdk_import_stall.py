"""Issue-9 figure: how long the event loop stalls while a module is imported on a thread.

For each candidate (the official SDKs, and httpx, which the direct HTTP
providers use), a fresh interpreter imports it on a thread while its event loop
sleeps 5 ms at a time; the lateness of those wake-ups is the stall a
`keel/health` request would see. The GIL makes a thread no isolation for
CPU-heavy imports. Prints JSON; decides docs/performance.md's provider choice.

    python bench/sdk_import_stall.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = """
import asyncio, importlib, json, sys, threading, time

async def main(modules):
    late, done, took = [], threading.Event(), []
    def load():
        started = time.perf_counter()
        for name in modules:
            importlib.import_module(name)
        took.append((time.perf_counter() - started) * 1000)
        done.set()
    threading.Thread(target=load).start()
    while not done.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        late.append((time.perf_counter() - started - 0.005) * 1000)
    late.sort()
    print(json.dumps({"import_ms": round(took[0]), "p99": round(late[int(len(late) * .99)], 1),
                      "max": round(late[-1], 1)}))

asyncio.run(main(sys.argv[1:]))
"""

CANDIDATES = {"anthropic": ["anthropic"], "openai": ["openai"],
              "both SDKs": ["anthropic", "openai"], "httpx (direct clients)": ["httpx"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    ns = parser.parse_args()
    report = {}
    for label, modules in CANDIDATES.items():
        rounds = []
        for _ in range(ns.repeat):
            out = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True,
                                 text=True, check=True, timeout=120).stdout
            rounds.append(json.loads(out.strip().splitlines()[-1]))
        report[label] = {"import_ms": [r["import_ms"] for r in rounds],
                         "loop_stall_p99_ms": [r["p99"] for r in rounds],
                         "loop_stall_max_ms": [r["max"] for r in rounds]}
    report["goal"] = "keel/health p99 <= 50 ms during warm-up"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
