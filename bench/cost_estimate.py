"""Benchmark keel.cost.estimate_cost on a 10,000-file Python tree. Prints JSON.

The tree (~100 MB of Python in ~1,100 folders, plus an ignored node_modules/
of 5,000 files) is generated once under /tmp and reused by later runs; its
mtimes are set in the past so the cache's racy-clean rule does not apply.

- cold: a fresh EstimateCache per run (every file is listed, stat'ed, read and
  counted). The OS page cache cannot be dropped without root-only, machine-wide
  side effects, so "cold" means cold for Keel, warm for the kernel.
- warm: one cache reused, no watcher (the CLI, a client that refused it): one
  stat per input file and per folder, nothing read.
- warmWatched: one cache reused, fed by a file watcher (VS Code): no stat at
  all; afterOneEditWatched: one file edited and its event delivered, so one
  folder is re-listed and one file re-read.

Goals: cold <= 1500 ms, warm <= 50 ms (median of 5 each); watched warm: a few
ms, >= 20x faster than reading every file (issue 22).

- runAdmission: what ``keel/runWorkflow`` pays before a run starts to refuse a
  target with nothing to read (``keel.cost.inputs.require_input``: the same
  scan), cold and with the estimate's warm cache.

    python bench/cost_estimate.py [--runs 5] [--dir /tmp/keel-cost-bench]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from pathlib import Path

from keel.cost.estimate import estimate_cost
from keel.cost.inputs import require_input
from keel.protocol.settings import Settings
from keel.scan.cache import EstimateCache
from keel.scan.scanner import scan

PACKAGES, SUBPACKAGES, MODULES = 100, 10, 10  # 10,000 modules
TARGET_MODULE_BYTES = 10_000
IGNORED_DIRS, IGNORED_FILES_PER_DIR = 500, 10
OLD_NS = 1_600_000_000 * 10**9
MARKER = ".bench-complete-v1"

_WORDS = ("user", "order", "item", "price", "cache", "request", "token", "path", "value",
          "result", "config", "record", "session", "event", "buffer", "limit", "index")


def _module_text(rng: random.Random) -> str:
    parts = ['"""Generated module for the cost benchmark."""\n\nfrom __future__ import annotations\n\n'
             "import os\nfrom dataclasses import dataclass\n\n"]
    size = sum(len(p) for p in parts)
    while size < TARGET_MODULE_BYTES:
        a, b, c = rng.sample(_WORDS, 3)
        chunk = (
            f"\n@dataclass\nclass {a.title()}{b.title()}:\n"
            f"    {a}_id: int\n    {c}: str = \"\"\n\n"
            f"    def {b}_{c}(self, {a}: int, limit: int = {rng.randint(1, 99)}) -> list[str]:\n"
            f"        \"\"\"Return the {c} of each {b} up to the {a} limit.\"\"\"\n"
            f"        out: list[str] = []\n"
            f"        for i in range(min({a}, limit)):\n"
            f"            if i % {rng.randint(2, 9)} == 0:\n"
            f"                out.append(f\"{{self.{c}}}-{{i}}\")\n"
            f"            elif os.environ.get(\"{a.upper()}_{b.upper()}\"):\n"
            f"                out.append(str(i * {rng.randint(2, 999)}))\n"
            f"        return out\n"
        )
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def build_tree(root: Path) -> None:
    if (root / MARKER).exists():
        return
    rng = random.Random(42)
    root.mkdir(parents=True, exist_ok=True)
    (root / ".gitignore").write_text("node_modules/\n__pycache__/\n*.pyc\n")
    for p in range(PACKAGES):
        for s in range(SUBPACKAGES):
            folder = root / f"pkg{p:03}" / f"sub{s:02}"
            folder.mkdir(parents=True, exist_ok=True)
            for m in range(MODULES):
                (folder / f"mod{m:02}.py").write_text(_module_text(rng))
    for d in range(IGNORED_DIRS):
        folder = root / "node_modules" / f"dep{d:03}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(IGNORED_FILES_PER_DIR):
            (folder / f"index{f}.js").write_text("module.exports = {};\n" * 20)
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            os.utime(os.path.join(folder, name), ns=(OLD_NS, OLD_NS))
    os.utime(root, ns=(OLD_NS, OLD_NS))
    (root / MARKER).write_text("ok\n")


def _input_paths(root: Path) -> list[str]:
    return [str(root / f"pkg{p:03}" / f"sub{s:02}" / f"mod{m:02}.py")
            for p in range(PACKAGES) for s in range(SUBPACKAGES) for m in range(MODULES)]


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/keel-cost-bench"))
    args = parser.parse_args()
    root = args.dir.resolve()
    build_ms, _ = _timed(lambda: build_tree(root))
    settings = Settings()

    def estimate(cache: EstimateCache):
        return estimate_cost("review", root, root, settings, cache=cache, calibration=None,
                             environ={})

    cold = [_timed(lambda: estimate(EstimateCache()))[0] for _ in range(args.runs)]
    cache = EstimateCache()
    estimate(cache)
    gc.collect()  # the cold runs' garbage is not the warm path's cost
    paths = _input_paths(root)
    warm_runs = [_timed(lambda: estimate(cache)) for _ in range(args.runs)]
    warm = [ms for ms, _ in warm_runs]
    result = warm_runs[-1][1]
    watched_cache = EstimateCache()
    watched_cache.set_watching(True)
    estimate(watched_cache)
    warm_watched = [_timed(lambda: estimate(watched_cache))[0] for _ in range(args.runs)]
    edited = Path(paths[0])
    original = edited.read_bytes()
    after_edit = []
    try:
        for run in range(args.runs):
            edited.write_bytes(original + f"# edit {run}\n".encode())
            watched_cache.invalidate([str(edited)])
            after_edit.append(_timed(lambda: estimate(watched_cache))[0])
    finally:
        edited.write_bytes(original)
        os.utime(edited, ns=(OLD_NS, OLD_NS))
    read_workers = {}
    for workers in (1, 2, 4):
        read_workers[str(workers)] = round(statistics.median(
            _timed(lambda w=workers: scan(root, root, suffixes=(".py",), cache=EstimateCache(),
                                          read_workers=w))[0]
            for _ in range(3)), 1)
    def admit(admission_cache: EstimateCache) -> None:
        require_input(root, root, ".", "review", (".py",), 2 * 1024 * 1024, admission_cache)

    admission_cold = [_timed(lambda: admit(EstimateCache()))[0] for _ in range(args.runs)]
    admission_warm = [_timed(lambda: admit(cache))[0] for _ in range(args.runs)]
    print(json.dumps({
        "tree": str(root), "treeBuildMs": round(build_ms),
        "files": result.files, "bytes": result.bytes,
        "codeTokens": result.code_tokens,
        "ignoredEntries": result.skipped.ignored,
        "cachedFilesWarm": result.cached_files,
        "coldMsMedian": round(statistics.median(cold), 1), "coldMs": [round(x, 1) for x in cold],
        "warmMsMedian": round(statistics.median(warm), 1), "warmMs": [round(x, 1) for x in warm],
        "warmWatchedMsMedian": round(statistics.median(warm_watched), 2),
        "afterOneEditWatchedMsMedian": round(statistics.median(after_edit), 2),
        "loadAverage": [round(x, 2) for x in os.getloadavg()],
        "warmFloorStatOnlyMs": round(statistics.median(
            _timed(lambda: [os.stat(p) for p in paths])[0] for _ in range(args.runs)), 1),
        "coldScanMsByReadWorkers": read_workers,
        "runAdmissionColdMsMedian": round(statistics.median(admission_cold), 1),
        "runAdmissionWarmMsMedian": round(statistics.median(admission_warm), 1),
        "goals": {"coldMs": 1500, "warmMs": 50},
        "note": "cold = fresh Keel cache; the OS page cache stays warm (dropping it needs root "
                "and affects the whole machine)",
    }, indent=2))


if __name__ == "__main__":
    main()
