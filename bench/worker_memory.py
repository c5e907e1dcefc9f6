"""Issue-9 figure: worker memory after big analyses (workers give memory back).

Spawns `keel serve`, analyses a generated 50,000-line module three times (a
different trailing comment each time, so no cache hit), and prints the RSS of
the whole process tree (server, fork server, workers; summed from /proc) before,
after each analysis and once the pool settled. Goal: tree <= 250 MB after three.

    python bench/worker_memory.py [--lines 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

from corpus import generate as corpus_generate  # bench/corpus, beside this script

from keel.rpc_client import KeelClient


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree_rss_mb(root: int) -> dict[str, float]:
    page = os.sysconf("SC_PAGE_SIZE")
    sizes, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            sizes[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page / 2**20
        except OSError:
            continue
        todo += _children(pid)
    server = sizes.pop(root, 0.0)
    return {"tree": round(server + sum(sizes.values()), 1), "server": round(server, 1),
            "children": sorted(round(v, 1) for v in sizes.values())}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    ns = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="keel-bench-mem-"))
    source = corpus_generate.generate_module(1234, ns.lines)
    path = workspace / "big.py"
    client = await KeelClient.spawn()
    await client.initialize(str(workspace), {"settings": {"advisor": {"maxFileBytes": 20_000_000}}})
    await client.request("keel/health")
    await asyncio.sleep(3)  # workers warm up after `initialized`
    pid = client.process.pid
    report = {"lines": len(source.splitlines()), "before_mb": tree_rss_mb(pid), "after_mb": []}
    for run in range(ns.runs):
        path.write_text(source + f"\n# run {run}\n")
        result = await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=120)
        report["after_mb"].append({"findings": len(result["findings"]), **tree_rss_mb(pid)})
    await asyncio.sleep(2)  # replacements finish starting
    report["settled_mb"] = tree_rss_mb(pid)
    report["goal"] = "tree <= 250 MB after three analyses"
    await client.shutdown()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
