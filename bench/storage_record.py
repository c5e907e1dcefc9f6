"""Cost of recording on the request path, and event-loop lag during a 100k-event burst.

Prints JSON. Goals: p99 of one ``recorder.model_call(...)`` ≤ 1 ms; loop lag p99 < 5 ms.
Usage: python bench/storage_record.py [--events 100000] [--chunk 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import structlog

from keel.records import ModelCallRecord, RunRecord
from keel.storage import StorageRecorder


def _call(n: int) -> ModelCallRecord:
    return ModelCallRecord("bench", "review", "anthropic", "claude-x", "capable", 1200, 300,
                           0.0042, 850, 1 + n % 3, n % 10 == 0, "closed",
                           "succeeded" if n % 20 else "failed")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


async def _ticker(lags: list[float], stop: asyncio.Event, period: float = 0.001) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(period)
        lags.append(time.perf_counter() - before - period)


async def run(events: int, chunk: int, folder: Path) -> dict:
    recorder = StorageRecorder(folder / "history.db")
    recorder.run_started(RunRecord("bench", "review", "a.py", "running", ""))
    recorder.flush(10)
    costs: list[float] = []
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    started = time.perf_counter()
    for first in range(0, events, chunk):
        for n in range(first, min(events, first + chunk)):
            call = _call(n)
            t0 = time.perf_counter()
            recorder.model_call(call)
            costs.append(time.perf_counter() - t0)
        await asyncio.sleep(0)  # requests yield to the loop between model calls
    enqueue_s = time.perf_counter() - started
    enqueue_ticks = len(lags)
    flushed = await asyncio.to_thread(recorder.flush, 120)
    drained_s = time.perf_counter() - started
    stop.set()
    await ticker
    await asyncio.to_thread(recorder.close, 10)
    conn = sqlite3.connect(folder / "history.db")
    stored = conn.execute("SELECT count(*) FROM model_calls").fetchone()[0]
    conn.close()
    health = recorder.health()
    return {
        "events": events,
        "chunk_per_loop_turn": chunk,
        "record_p50_us": round(_percentile(costs, 0.50) * 1e6, 2),
        "record_p99_us": round(_percentile(costs, 0.99) * 1e6, 2),
        "record_max_us": round(max(costs) * 1e6, 2),
        "goal_record_p99_us": 1000,
        "loop_lag_p50_ms": round(_percentile(lags, 0.50) * 1e3, 3),
        "loop_lag_p99_ms": round(_percentile(lags, 0.99) * 1e3, 3),
        "loop_lag_max_ms": round(max(lags, default=0.0) * 1e3, 3),
        "loop_lag_p99_ms_while_enqueuing": round(_percentile(lags[:enqueue_ticks], 0.99) * 1e3, 3),
        "loop_lag_p99_ms_while_writer_drains": round(_percentile(lags[enqueue_ticks:], 0.99) * 1e3, 3),
        "goal_loop_lag_p99_ms": 5,
        "enqueue_seconds": round(enqueue_s, 3),
        "drained_seconds": round(drained_s, 3),
        "writer_events_per_second": round(events / drained_s),
        "flushed": flushed,
        "stored": stored,
        "dropped": health.dropped,
        "accounted": stored + health.dropped == events,
    }


async def idle_baseline(seconds: float = 3.0) -> float:
    """Loop lag p99 (ms) with nothing else running: this machine's own scheduling jitter."""
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await ticker
    return round(_percentile(lags, 0.99) * 1e3, 3)


async def producer_only(events: int, chunk: int) -> float:
    """Loop lag p99 (ms) of the same burst recorded into a plain list: the producer's own share."""
    sink: list = []
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    for first in range(0, events, chunk):
        for n in range(first, min(events, first + chunk)):
            sink.append(_call(n))
        await asyncio.sleep(0)
    stop.set()
    await ticker
    return round(_percentile(lags, 0.99) * 1e3, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=100)
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr),
                        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(run(args.events, args.chunk, Path(folder)))
    # The burst's producer alone (no recorder, no writer) on the same loop: what the
    # harness itself costs, to tell apart from what recording costs.
    result["loop_lag_p99_ms_producer_only"] = asyncio.run(producer_only(args.events, args.chunk))
    result["loop_lag_p99_ms_idle_baseline"] = asyncio.run(idle_baseline())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
