"""Issue-25 figure: the latency the budget reservation adds to one model call.

A model call through ``SpendGuard.call`` holds its worst case inside its run's
lease (memory, on the loop) and settles it there; only a lease without room
goes to ``spend.db`` (one ``BEGIN IMMEDIATE`` transaction, in a thread). A run
opens its lease before its first call (``open_run``, from its estimate: the
budget gate does it) and gives the rest back at its end (``end_run``): those two
transactions are per run, timed apart (``per_run``). This times N calls of a
provider that answers at once, 10 calls per run, with and without the guard, in
one process; the same without ``open_run`` (a process's first run with no
budget set: its first call sizes the lease); with no budget set (the gate opens
the lease from the process's last call); and the ledger's own reserve+settle
without the loop.
The ledger already holds a month of settled calls (``--history``, default
20,000 rows), so the totals are read as they would be late in a busy month.
Prints JSON; goal: added p99 < 1 ms.

    .venv/bin/python -I bench/budget_reservation.py [calls] [--history N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import anyio

from keel.entry_hooks import install_entry_hooks
from keel.protocol.budget import BudgetSettings
from keel.providers.base import Completion, CompletionRequest
from keel.providers.registry import ModelInfo
from keel.spend.guard import SpendGuard, worst_case_usd
from keel.spend.ledger import Charge, Ledger

MODEL = ModelInfo(provider_id="p", kind="anthropic", model="bench-1", tier="cheap",
                  input_usd_per_mtok=1.0, output_usd_per_mtok=5.0, checked="2026-01-01",
                  price_known=True)
LIMITS = BudgetSettings(per_run_usd=1e6, daily_usd=1e6, monthly_usd=1e6)
REQUEST = CompletionRequest(system="You review code.", prompt="def f(x):\n    return x\n" * 200,
                            max_output_tokens=1200, model="bench-1", stage_id="review")
ANSWER = Completion(text="ok", input_tokens=900, output_tokens=300, model="bench-1",
                    provider="p", latency_ms=0, stop_reason="end_turn")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def figures(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99), "max_ms": round(max(ms), 3)}


async def provider_call(request: CompletionRequest) -> Completion:
    await anyio.sleep(0)  # a checkpoint, as a real provider's await is
    return ANSWER


CALLS_PER_RUN = 10


def seed(ledger: Ledger, rows: int) -> None:
    for i in range(rows):
        ledger.settle(ledger.reserve(Charge(f"old{i // 5}", 0.002), BudgetSettings()), 0.001)
        if i % 5 == 4:
            ledger.release(f"old{i // 5}")


async def two_hops(n: int) -> list[float]:
    """Two empty thread hops per call: the host's share of the guard's two ledger visits."""
    from keel.runtime.threads import in_thread

    out: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        await in_thread(lambda: None)
        await in_thread(lambda: None)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def timed(n: int, guard: SpendGuard | None, *, open_runs: str | None = "estimate",
                per_run: list[float] | None = None) -> list[float]:
    """``open_runs``: "estimate" (a budget set: the gate opens the run's lease from its
    estimate), "last call" (no budget: from the process's last call), None (no lease opened)."""
    out: list[float] = []
    estimate = CALLS_PER_RUN * worst_case_usd(MODEL, REQUEST)
    for i in range(n):
        run_id = f"run{open_runs}{i // CALLS_PER_RUN}"
        if guard is not None and i % CALLS_PER_RUN == 0 and open_runs:
            want = estimate if open_runs == "estimate" else guard.unbudgeted_room()
            started = time.perf_counter()
            if want > 0:
                await guard.open_run(run_id, want)
            if per_run is not None:
                per_run.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        if guard is None:
            await provider_call(REQUEST)
        else:
            await guard.call(run_id=run_id, stage_id="review", provider="p", model=MODEL,
                             request=REQUEST, send=lambda: provider_call(REQUEST))
        out.append((time.perf_counter() - started) * 1000)
        if guard is not None and i % CALLS_PER_RUN == CALLS_PER_RUN - 1:
            started = time.perf_counter()
            await guard.end_run(run_id)
            if per_run is not None and open_runs:
                per_run[-1] += (time.perf_counter() - started) * 1000
    return out


def added(guarded: list[float], bare: list[float]) -> dict[str, float]:
    diff = [g - b for g, b in zip(sorted(guarded), sorted(bare), strict=True)]
    return {"p50_ms": pct(diff, 0.5), "p99_ms": pct(diff, 0.99)}


def main() -> None:
    install_entry_hooks()
    parser = argparse.ArgumentParser()
    parser.add_argument("calls", nargs="?", type=int, default=2000)
    parser.add_argument("--history", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="keel-budget-bench-"))
    ledger = Ledger(folder / "spend.db")
    seed(ledger, args.history)
    guard = SpendGuard(lambda: folder, lambda: LIMITS, ledger_factory=lambda path: ledger)

    direct: list[float] = []
    for i in range(args.calls):
        started = time.perf_counter()
        ledger.settle(ledger.reserve(Charge(f"direct{i // CALLS_PER_RUN}", 0.01), LIMITS), 0.005)
        direct.append((time.perf_counter() - started) * 1000)
        if i % CALLS_PER_RUN == CALLS_PER_RUN - 1:
            ledger.release(f"direct{i // CALLS_PER_RUN}")

    per_run: list[float] = []
    bare = anyio.run(timed, args.calls, None)
    guarded = anyio.run(lambda: timed(args.calls, guard, per_run=per_run))
    unopened = anyio.run(lambda: timed(args.calls, guard, open_runs=None))
    no_budget = SpendGuard(lambda: folder, BudgetSettings, ledger_factory=lambda path: ledger)
    unbudgeted = anyio.run(lambda: timed(args.calls, no_budget, open_runs="last call"))
    hops = anyio.run(two_hops, args.calls)
    print(json.dumps({
        "calls": args.calls, "calls_per_run": CALLS_PER_RUN, "history_rows": args.history,
        "ledger_reserve_and_settle": figures(direct),
        "call_without_guard": figures(bare), "call_with_guard": figures(guarded),
        "added_per_call": added(guarded, bare),
        "added_per_call_lease_not_opened": added(unopened, bare),
        "added_per_call_no_budget": added(unbudgeted, bare),
        "per_run_open_and_end": figures(per_run),
        "two_empty_thread_hops": figures(hops),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "goal": "added p99 < 1 ms",
    }, indent=2))
    ledger.close()


if __name__ == "__main__":
    main()
