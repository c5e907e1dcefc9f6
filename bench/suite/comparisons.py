"""Side-by-side comparisons: Keel against what a user would use instead, in one run.

Each comparison interleaves its sides round by round and reports every side's
median and spread plus the ratio of medians (how many times slower the
alternative is). Sides:

- per click: a light request and an uncached analysis over an open connection,
  against the design Keel replaces (a fresh process per click: `keel analyze
  FILE --json`, and a process that only imports the provider SDKs);
- first click: the first workflow run after an idle start against later runs;
- first analysis: spawn → first analysis answered (a file open at start), beside
  spawn → health and an estimate sent 50 ms after spawn (``bench/startup.py``);
- analysis: Keel in the server and as a command against radon and ruff on the
  same real files;
- estimate: cold, warm and after one edit, against a naive read of every file;
- memory: the server's process tree idle, after 10,000 mixed requests and after
  large analyses.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    ROOT,
    figure,
    generated_module,
    keel_server,
    lines_of,
    ratio,
    time_command,
    tree_memory_mb,
    wait_healthy,
)

SCRATCH = Path(tempfile.gettempdir()) / "keel-bench-suite"
KEEL = [PYTHON, "-m", "keel"]


def _bin(name: str) -> str:
    local = Path(PYTHON).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def real_files(limit_lines: int = 60_000) -> list[Path]:
    """Real Python from installed packages (rich, then pygments), up to ~limit_lines lines."""
    import importlib.util

    files: list[Path] = []
    total = 0
    for package in ("rich", "pygments", "httpx", "click"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for path in sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py")):
            files.append(path)
            total += lines_of(path.read_text(encoding="utf-8", errors="replace"))
            if total >= limit_lines:
                return files
    return files


# -- per click ----------------------------------------------------------------------

async def per_click(rounds: int) -> dict[str, Any]:
    work = SCRATCH / "per-click"
    shutil.rmtree(work, ignore_errors=True)
    (work / "ws").mkdir(parents=True)
    target = work / "ws" / "module.py"
    base = generated_module(30)
    target.write_text(base)
    light, analyze, cli_analyze, cli_sdk = [], [], [], []
    async with keel_server(work / "ws", work) as client:
        await wait_healthy(client)
        await client.request("keel/analyze", {"uri": target.as_uri()}, timeout=60)
        for index in range(rounds):
            for _ in range(10):
                started = time.perf_counter()
                await client.request("keel/health", {})
                light.append((time.perf_counter() - started) * 1000)
            # New content each round, so the content-hash cache cannot answer.
            target.write_text(base + f"\n# round {index}\n")
            started = time.perf_counter()
            await client.request("keel/analyze", {"uri": target.as_uri()}, timeout=60)
            analyze.append((time.perf_counter() - started) * 1000)
            cli_analyze.append(time_command([*KEEL, "analyze", str(target), "--json"], cwd=work / "ws"))
            cli_sdk.append(time_command([PYTHON, "-c", "import anthropic, openai"]))
    sides = {
        "keelHealthOpenConnection": figure(light, "ms"),
        "keelAnalyzeOpenConnection": figure(analyze, "ms"),
        "processPerClickAnalyze": figure(cli_analyze, "ms"),
        "processPerClickImportSdks": figure(cli_sdk, "ms"),
    }
    return {"sides": sides, "fileLines": lines_of(base), "ratios": {
        "analyze: process per click / open connection":
            ratio(sides["keelAnalyzeOpenConnection"], sides["processPerClickAnalyze"]),
        "light request: SDK-importing process / open connection":
            ratio(sides["keelHealthOpenConnection"], sides["processPerClickImportSdks"]),
    }}


# -- first analysis -----------------------------------------------------------------

async def first_analysis(runs: int) -> dict[str, Any]:
    """``bench/startup.py``: each sample a fresh ``python -I -m keel serve`` (goal: <= 500 ms)."""
    completed = await asyncio.to_thread(
        subprocess.run, [PYTHON, str(ROOT / "bench" / "startup.py"), "--runs", str(runs),
                         "--measures", "analyze", "health", "estimate"],
        capture_output=True, text=True, check=False, timeout=1800)
    if completed.returncode != 0 or not completed.stdout.strip():
        return {"error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}
    server = json.loads(completed.stdout)["fast start"]
    samples = server["samples_ms"]
    sides = {"spawnToFirstAnalysis": figure(samples["analyze"], "ms"),
             "spawnToHealth": figure(samples["health"], "ms"),
             "spawnToEstimateSent50msAfter": figure(samples["estimate"], "ms")}
    return {"sides": sides, "goal": "first analysis <= 500 ms; every early request answered, not -32803",
            "errorsByRequest": server["errors"], "analyzeOperationMs": server.get("analyze_operation_ms")}


# -- first click --------------------------------------------------------------------

async def first_click(servers: int, later: int) -> dict[str, Any]:
    from keel.chaos import ChaosServer

    work = SCRATCH / "first-click"
    shutil.rmtree(work, ignore_errors=True)
    (work / "ws").mkdir(parents=True)
    (work / "ws" / "buggy.py").write_text(generated_module(5))
    first, rest = [], []
    async with ChaosServer() as chaos:
        options = {"settings": {"providers": [
            {"id": "local", "kind": "openai", "baseUrl": chaos.openai_base_url,
             "apiKeyEnv": "KEEL_BENCH_KEY"}]}}
        for index in range(servers):
            async with keel_server(work / "ws", work / f"s{index}", options,
                                   KEEL_BENCH_KEY="bench-key") as client:
                await wait_healthy(client)
                await asyncio.sleep(3.0)  # an idle start: the user reads before clicking
                for attempt in range(later + 1):
                    started = time.perf_counter()
                    result = await client.request("keel/runWorkflow", {
                        "workflow": "review", "target": "buggy.py"}, timeout=120)
                    elapsed = (time.perf_counter() - started) * 1000
                    (first if attempt == 0 else rest).append(elapsed)
                    if result.get("status") not in ("succeeded", "partial"):
                        raise RuntimeError(f"first-click run ended {result.get('status')}")
    sides = {"firstRun": figure(first, "ms"), "laterRuns": figure(rest, "ms")}
    return {"sides": sides, "provider": "local OpenAI-compatible fake, instant answers",
            "firstMinusLaterMs": round(sides["firstRun"]["median"] - sides["laterRuns"]["median"], 1),
            "ratios": {"first run / later runs": ratio(sides["laterRuns"], sides["firstRun"])}}


# -- analysis -----------------------------------------------------------------------

STATIC_ONLY = """[[workflow]]
id = "static-only"
title = "Advisor over every file"
  [[workflow.stage]]
  id = "static"
  kind = "static"
  analyzer = "advisor"
"""


async def _analyze_in_server(files: list[Path], work: Path,
                             round_index: int) -> tuple[float, list[float], float]:
    """(one keel/analyze per file, in turn: total ms; each file's ms; one run over them all: ms)."""
    per_file: list[float] = []
    async with keel_server(files[0].parent, work / f"srv{round_index}") as client:
        await wait_healthy(client)
        started = time.perf_counter()
        for path in files:
            t0 = time.perf_counter()
            await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=120)
            per_file.append((time.perf_counter() - t0) * 1000)
        one_by_one = (time.perf_counter() - started) * 1000
        # The batch path (after the first, so that both find the server warm): a run whose
        # static stage sends the files to workers in batches. A run does not use the cache.
        started = time.perf_counter()
        result = await client.request("keel/runWorkflow", {"workflow": "static-only", "target": "."},
                                      timeout=300)
        batch = (time.perf_counter() - started) * 1000
        if result.get("status") != "succeeded":
            raise RuntimeError(f"static-only run ended {result.get('status')}")
        return one_by_one, per_file, batch


async def analysis(rounds: int) -> dict[str, Any]:
    source = real_files()
    work = SCRATCH / "analysis"
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    files = []
    for index, path in enumerate(source):  # one flat copy, so every tool sees the same bytes
        copy = work / "corpus" / f"{index:04}_{path.name}"
        copy.write_bytes(path.read_bytes())
        files.append(copy)
    total_lines = sum(lines_of(p.read_text(encoding="utf-8", errors="replace")) for p in files)
    names = [str(p) for p in files]
    (work / "corpus" / ".keel").mkdir()
    (work / "corpus" / ".keel" / "workflows.toml").write_text(STATIC_ONLY)
    server, batch, per_file, cli, radon, ruff = [], [], [], [], [], []
    for index in range(rounds):
        elapsed, latencies, batch_ms = await _analyze_in_server(files, work, index)
        server.append(elapsed)
        batch.append(batch_ms)
        per_file.extend(latencies)
        cli.append(time_command([*KEEL, "analyze", *names, "--json"], cwd=work / "corpus"))
        radon.append(time_command([_bin("radon"), "cc", "-s", str(work / "corpus")]))
        ruff.append(time_command([_bin("ruff"), "check", "--no-cache", "--isolated", "--exit-zero",
                                  str(work / "corpus")]))

    def throughput(ms: list[float]) -> dict[str, Any]:
        return figure([total_lines / (m / 1000) for m in ms], "lines/s")

    sides = {"keelServerBatch": throughput(batch), "keelServer": throughput(server),
             "keelCommand": throughput(cli),
             "radonCommand": throughput(radon), "ruffCommand": throughput(ruff)}
    editor_sized = [ms for ms, path in zip(per_file, files * rounds, strict=True)
                    if lines_of(path.read_text(encoding="utf-8", errors="replace")) <= 2000]
    return {"files": len(files), "lines": total_lines, "corpus": "rich + pygments (installed packages)",
            "sides": sides, "keelServerPerEditorFile": figure(editor_sized, "ms"),
            "ratios": {**{f"keel server / {name}": ratio(sides[key], sides["keelServer"])
                          for name, key in (("keel command", "keelCommand"), ("radon", "radonCommand"),
                                            ("ruff", "ruffCommand"))},
                       **{f"keel server batch / {name}": ratio(sides[key], sides["keelServerBatch"])
                          for name, key in (("keel command", "keelCommand"),
                                            ("radon", "radonCommand"))}},
            "note": "ratios here are throughput: above 1 means the server analyses faster; "
                    "keelServer is one keel/analyze per file in turn (the editor's path), "
                    "keelServerBatch one static-only workflow run over the same files (the batch path)"}


# -- estimate -----------------------------------------------------------------------

def build_tree(files: int, size_bytes: int = 2000) -> Path:
    """A seeded tree of `files` Python modules (100 per folder) plus an ignored node_modules."""
    root = SCRATCH / f"tree-{files}"
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(files)
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("node_modules/\n")
    body = generated_module(max(1, size_bytes // 400))
    for index in range(files):
        folder = root / f"pkg{index // 100:04}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{index % 100:02}.py").write_text(f"# {rng.random()}\n" + body)
    (root / "node_modules" / "dep").mkdir(parents=True)
    for index in range(200):
        (root / "node_modules" / "dep" / f"x{index}.js").write_text("module.exports = 1;\n" * 50)
    marker.write_text("ok\n")
    return root


NAIVE_READ = """
import os, sys
total = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith('.py'):
            with open(os.path.join(folder, name), 'rb') as handle:
                total += len(handle.read()) // 4
print(total)
"""

ESTIMATE_SETTINGS = {"settings": {"timeouts": {"estimateCostMs": 120_000}}}
# What VS Code declares: the server then registers a file watcher and trusts its events.
WATCHING_CLIENT = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}}


async def watcher_registered(client: Any, timeout_s: float = 30.0) -> None:
    """Until the server has asked this client to watch files (the client accepts at once)."""
    deadline = time.monotonic() + timeout_s
    while True:
        message = await asyncio.wait_for(client.notifications.get(), deadline - time.monotonic())
        if message.get("method") == "client/registerCapability":
            await client.request("keel/health", {}, timeout=10)  # the acceptance has been read
            return


async def _estimate(client: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await client.request("keel/estimateCost", {"workflow": "review", "target": "."},
                                  timeout=180)
    return (time.perf_counter() - started) * 1000, result


def _edit(path: Path, client: Any, index: int) -> None:
    path.write_text(path.read_text() + f"# edit {index}\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": path.as_uri(), "type": 2}]})


async def estimate(rounds: int, files: int = 10_000) -> dict[str, Any]:
    """Cold, warm and after one edit with a watching client (the editor); warm without one."""
    root = build_tree(files)
    cold, warm, edited, fallback, fallback_edited, naive = [], [], [], [], [], []
    rss_after: list[float] = []
    edit_target = root / "pkg0000" / "mod00.py"
    for index in range(rounds):
        async with keel_server(root, SCRATCH / f"estimate-{index}", ESTIMATE_SETTINGS,
                               capabilities=WATCHING_CLIENT) as client:
            await wait_healthy(client)
            await watcher_registered(client)
            cold.append((await _estimate(client))[0])
            warm.extend([(await _estimate(client))[0] for _ in range(3)])
            _edit(edit_target, client, index)
            edited.append((await _estimate(client))[0])
            rss_after.append(tree_memory_mb(client.process.pid)["rssMB"])
        async with keel_server(root, SCRATCH / f"estimate-fallback-{index}",
                               ESTIMATE_SETTINGS) as client:  # no watcher: every stat is checked
            await wait_healthy(client)
            await _estimate(client)
            fallback.extend([(await _estimate(client))[0] for _ in range(3)])
            _edit(edit_target, client, index)
            fallback_edited.append((await _estimate(client))[0])
        naive.append(time_command([PYTHON, "-c", NAIVE_READ, str(root)]))
    sides = {"cold": figure(cold, "ms"), "warm": figure(warm, "ms"),
             "afterOneEdit": figure(edited, "ms"), "warmWithoutWatcher": figure(fallback, "ms"),
             "afterOneEditWithoutWatcher": figure(fallback_edited, "ms"),
             "naiveReadEveryFile": figure(naive, "ms")}
    return {"files": files, "sides": sides, "serverTreeRssMB": figure(rss_after, "MB"), "ratios": {
        "naive read / warm": ratio(sides["warm"], sides["naiveReadEveryFile"]),
        "naive read / after one edit": ratio(sides["afterOneEdit"], sides["naiveReadEveryFile"]),
        "naive read / warm without watcher": ratio(sides["warmWithoutWatcher"],
                                                   sides["naiveReadEveryFile"]),
        "naive read / cold": ratio(sides["cold"], sides["naiveReadEveryFile"]),
    }, "note": "warm and afterOneEdit: a client that accepted the file watcher (VS Code); "
               "withoutWatcher: a client that did not (every stat checked)"}


# -- memory ---------------------------------------------------------------------------

async def _mixed_requests(client: Any, uri: str, count: int, failures: dict[str, int],
                          concurrency: int = 8) -> None:
    methods = [("keel/health", {}), ("keel/listWorkflows", {}), ("keel/runs", {"limit": 5}),
               ("keel/analyze", {"uri": uri}), ("keel/estimateCost", {"workflow": "review",
                                                                       "target": "."})]
    queue = list(range(count))

    async def worker() -> None:
        while queue:
            index = queue.pop()
            method, params = methods[index % len(methods)]
            try:
                await client.request(method, params, timeout=60)
            except Exception as error:  # counted by method and code: -32802 is a superseded estimate
                key = f"{method} {getattr(error, 'code', type(error).__name__)}"
                failures[key] = failures.get(key, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def memory(requests: int = 10_000, checkpoints: int = 4) -> dict[str, Any]:
    work = SCRATCH / "memory"
    shutil.rmtree(work, ignore_errors=True)
    (work / "ws").mkdir(parents=True)
    small = work / "ws" / "small.py"
    small.write_text(generated_module(20))
    large = [work / "ws" / f"large{i}.py" for i in range(3)]
    for index, path in enumerate(large):
        path.write_text(generated_module(4200, seed=index))  # ~50,000 lines each
    curve: list[dict[str, Any]] = []
    async with keel_server(work / "ws", work) as client:
        await wait_healthy(client)
        await asyncio.sleep(3.0)
        idle = tree_memory_mb(client.process.pid)
        curve.append({"requests": 0, **idle})
        failures: dict[str, int] = {}
        for step in range(1, checkpoints + 1):
            await _mixed_requests(client, small.as_uri(), requests // checkpoints, failures)
            curve.append({"requests": step * requests // checkpoints,
                          **tree_memory_mb(client.process.pid)})
        after_requests = curve[-1]
        for path in large:
            await client.request("keel/analyze", {"uri": path.as_uri()}, timeout=300)
        after_large = tree_memory_mb(client.process.pid)
        await asyncio.sleep(5.0)
        after_large_idle = tree_memory_mb(client.process.pid)
    return {"idle": idle, "after10kMixedRequests": after_requests, "failedRequests": failures,
            "afterThree50kLineAnalyses": after_large, "fiveSecondsLater": after_large_idle,
            "rssByRequestCount": curve, "goal": "tree RSS <= 250 MB after three 50k-line analyses"}


# -- resilience (the fault-injecting provider) ------------------------------------------

def resilience(runs: int) -> dict[str, Any]:
    completed = subprocess.run([PYTHON, str(ROOT / "bench" / "reliability_targets.py"),
                                "--runs", str(runs)], capture_output=True, text=True, check=False,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(completed.stdout)


def main_sync(coroutine: Any) -> Any:  # pragma: no cover - convenience for manual runs
    return asyncio.run(coroutine)


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(asyncio.run(per_click(int(sys.argv[1]) if len(sys.argv) > 1 else 5)), indent=2))
