"""Shared pieces of the benchmark suite: statistics, the machine, process memory, servers.

Every figure the suite records is a ``Figure``: a name, a unit, the median and the
spread of its samples (p10/p90, min/max, n). Comparisons interleave their sides
(A B A B …) so that a machine whose speed drifts slows both sides alike, and the
ratio of medians is the headline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def figure(samples: Iterable[float], unit: str, **extra: Any) -> dict[str, Any]:
    """Median and spread of samples, rounded for reading."""
    values = [float(v) for v in samples]
    digits = 3 if unit in ("ms", "s") else 1
    out: dict[str, Any] = {
        "unit": unit, "n": len(values),
        "median": round(statistics.median(values), digits) if values else None,
        "p10": round(quantile(values, 0.10), digits) if values else None,
        "p90": round(quantile(values, 0.90), digits) if values else None,
        "p99": round(quantile(values, 0.99), digits) if values else None,
        "min": round(min(values), digits) if values else None,
        "max": round(max(values), digits) if values else None,
    }
    out.update(extra)
    return out


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """How many times larger b's median is than a's (a is Keel, b the alternative)."""
    if not a.get("median") or b.get("median") is None:
        return None
    return round(b["median"] / a["median"], 2)


def machine() -> dict[str, Any]:
    versions: dict[str, str] = {"python": platform.python_version()}
    for package in ("keel", "pygls", "radon", "ruff", "libcst", "pydantic"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[package] = version(package)
    with contextlib.suppress(Exception):
        versions["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True).stdout.strip()
    memory_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as handle:
        memory_kb = int(handle.readline().split()[1])
    return {"cores": os.cpu_count(), "memoryGiB": round(memory_kb / 2**20, 1),
            "system": f"{platform.system()} {platform.release()}", "versions": versions}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- process memory -------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    return found


def process_tree(pid: int) -> list[int]:
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in _children(parent)]
        tree.extend(frontier)
    return tree


def _rollup_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tree_memory_mb(pid: int) -> dict[str, float]:
    """RSS (double-counts shared pages) and PSS (shares them out) of a process tree, in MB."""
    pids = process_tree(pid)
    rss = sum(_rollup_kb(p, "Rss") for p in pids)
    pss = sum(_rollup_kb(p, "Pss") for p in pids)
    return {"rssMB": round(rss / 1024, 1), "pssMB": round(pss / 1024, 1), "processes": len(pids)}


# -- timing ---------------------------------------------------------------------------

def time_command(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Wall time of a whole process, in ms (output discarded)."""
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if completed.returncode not in (0, 1):  # 1: findings or failed checks, still a full run
        tail = completed.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{Path(argv[0]).name} {' '.join(argv[1:3])} exited "
                           f"{completed.returncode}: {tail}")
    return elapsed


async def timed(awaitable_factory: Callable[[], Any]) -> float:
    started = time.perf_counter()
    await awaitable_factory()
    return (time.perf_counter() - started) * 1000


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"XDG_DATA_HOME": str(data_dir / "data"), "XDG_STATE_HOME": str(data_dir / "state"),
                "XDG_CACHE_HOME": str(data_dir / "cache")})
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def keel_server(workspace: Path, data_dir: Path, options: dict[str, Any] | None = None,
                      capabilities: dict[str, Any] | None = None, **env: str) -> AsyncIterator[Any]:
    """A `keel serve` over stdio, initialized on `workspace`, shut down afterwards."""
    from keel.rpc_client import KeelClient

    client = await KeelClient.spawn(env=server_env(data_dir, **env))
    try:
        await client.initialize(str(workspace), {"workspaceTrusted": True, **(options or {})},
                                process_id=os.getpid(), capabilities=capabilities)
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown(), 15)
        if client.process.returncode is None:
            client.process.kill()


async def wait_healthy(client: Any, timeout_s: float = 60.0) -> None:
    """Until keel/health answers (the server has finished loading)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await client.request("keel/health", {}, timeout=10)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def health_latencies(client: Any, samples: int, timeout_s: float) -> list[float]:
    """``keel/health`` round trips in ms, one every 20 ms (the probe of every health bench)."""
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await client.request("keel/health", {}, timeout=timeout_s)
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return latencies


def generated_module(functions: int, seed: int = 0) -> str:
    """Python with a realistic mix of findings: long, branchy, mutable defaults, bare excepts."""
    parts = ['"""Generated for the benchmark suite."""\nimport os\nimport sys\n\n']
    for i in range(functions):
        k = (i + seed) % 7
        parts.append(
            f"def handler_{i}(request, cache={{}}, limit={k + 2}):\n"
            f"    total = 0\n"
            f"    for item in request:\n"
            f"        if item is None or item == {k}:\n"
            f"            continue\n"
            f"        elif item > limit and os.environ.get('K{k}'):\n"
            f"            total += item * {i}\n"
            f"        try:\n"
            f"            cache[item] = total\n"
            f"        except Exception:\n"
            f"            pass\n"
            f"    return total\n\n\n")
    return "".join(parts)


def lines_of(text: str) -> int:
    return text.count("\n")
