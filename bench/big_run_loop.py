"""Issue-9 figure: `keel/health` while a big `review` run works and answers.

Generates a seeded corpus (default 200 files, ~150k lines), starts `keel serve`
with no provider (the LLM stage is skipped; `--provider chaos`: the chaos server as an
instant OpenAI-compatible provider, hundreds of calls), runs `review`
over the whole workspace while a second task sends `keel/health` every 20 ms,
and prints the health round-trip p50/p99/max during the run, the run's
duration, its finding counts and the size of its answer. Goal: health p99 <= 50 ms.

    python bench/big_run_loop.py [--files 200] [--lines 500] [--rounds 1] [--provider none|chaos]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from corpus import generate as corpus_generate  # bench/corpus, beside this script
from health_under_load import spawn  # beside this script: the lean client

from keel.chaos import ChaosServer
from keel.chaos.schedule import Schedule
from keel.entry_hooks import install_entry_hooks

install_entry_hooks()  # an entry point: structlog (the chaos server's log) to stderr; stdout is this script's JSON


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def probe(client, stop: asyncio.Event, rtts: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await client.request("keel/health", timeout=60)
        rtts.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)


async def one_round(client) -> dict:
    rtts: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.ensure_future(probe(client, stop, rtts))
    started = time.perf_counter()
    _, future = client.send_request("keel/runWorkflow", {"workflow": "review", "target": ".",
                                                         "timeoutMs": 600_000})
    answer = await asyncio.wait_for(future, 600)
    elapsed = (time.perf_counter() - started) * 1000
    stop.set()
    await prober
    # Parsed once the probe has stopped: this process's parse is not the server's latency.
    result = answer.parsed() if hasattr(answer, "parsed") else answer
    report = result["report"]
    return {
        "status": result["status"], "run_ms": round(elapsed),
        "findings_in_answer": len(report["findings"]),
        "findings_total": report.get("findingsTotal", len(report["findings"])),
        "truncated": report.get("truncated", False),
        "answer_bytes": len(json.dumps(result)),
        "health_ms": {"p50": pct(rtts, 0.5), "p99": pct(rtts, 0.99), "max": pct(rtts, 1.0),
                      "probes": len(rtts)},
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--provider", choices=("none", "chaos"), default="none")
    parser.add_argument("--rounds", type=int, default=1)
    ns = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="keel-bench-big-"))
    corpus = corpus_generate.write_corpus(workspace, seed=1234, files=ns.files,
                                       lines_per_file=ns.lines)
    lines = sum(len((workspace / name).read_text().splitlines()) for name in corpus)
    async with ChaosServer(Schedule.healthy()) as chaos:
        env = dict(os.environ, KEEL_BENCH_KEY="not-a-secret")
        if ns.provider == "none":
            env.pop("ANTHROPIC_API_KEY", None)
            env.pop("OPENAI_API_KEY", None)
        client = await spawn(env)
        provider = {"id": "chaos", "kind": "openai", "baseUrl": chaos.openai_base_url,
                    "apiKeyEnv": "KEEL_BENCH_KEY"}
        providers = [provider] if ns.provider == "chaos" else []
        await client.initialize(str(workspace), {"settings": {"providers": providers},
                                                 "workspaceTrusted": True})
        await client.request("keel/health")
        await asyncio.sleep(3)  # let the warm-up after `initialized` finish
        rounds = [await one_round(client) for _ in range(ns.rounds)]
        try:
            await client.shutdown()
        except (TimeoutError, ConnectionError):
            rounds.append({"note": "the server did not exit within 10 s of `exit`"})
    print(json.dumps({"corpus": {"files": len(corpus), "lines": lines},
                      "provider": ns.provider, "rounds": rounds,
                      "goal": "health p99 <= 50 ms during the run"}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
