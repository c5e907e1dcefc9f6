"""Issue-25 figure: the latency the budget reservation adds to one model call.

A model call through ``SpendGuard.call`` does, before sending, a reservation
(one ``BEGIN IMMEDIATE`` transaction on ``spend.db``, in a thread) and, after
the answer, a settlement (another, shielded). This times N calls of a provider
that answers at once, with and without the guard, in one process, and the
ledger's own reserve+settle without the thread hops. The ledger already holds a
month of settled calls (``--history``, default 20,000 rows), so the totals are
read as they would be late in a busy month. Prints JSON; goal: added p99 < 1 ms.

    .venv/bin/python bench/budget_reservation.py [calls] [--history N]
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
from keel.spend.guard import SpendGuard
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


def seed(ledger: Ledger, rows: int) -> None:
    for i in range(rows):
        ledger.settle(ledger.reserve(Charge(f"old{i // 5}", 0.002), BudgetSettings()), 0.001)


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


async def timed(n: int, guard: SpendGuard | None) -> list[float]:
    out: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        if guard is None:
            await provider_call(REQUEST)
        else:
            await guard.call(run_id=f"run{i // 10}", stage_id="review", provider="p", model=MODEL,
                             request=REQUEST, send=lambda: provider_call(REQUEST))
        out.append((time.perf_counter() - started) * 1000)
    return out


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
        ledger.settle(ledger.reserve(Charge(f"direct{i // 10}", 0.01), LIMITS), 0.005)
        direct.append((time.perf_counter() - started) * 1000)

    bare = anyio.run(timed, args.calls, None)
    guarded = anyio.run(timed, args.calls, guard)
    hops = anyio.run(two_hops, args.calls)
    added = [g - b for g, b in zip(sorted(guarded), sorted(bare), strict=True)]
    print(json.dumps({
        "calls": args.calls, "history_rows": args.history,
        "ledger_reserve_and_settle": figures(direct),
        "call_without_guard": figures(bare), "call_with_guard": figures(guarded),
        "added_per_call": {"p50_ms": pct(added, 0.5), "p99_ms": pct(added, 0.99)},
        "two_empty_thread_hops": figures(hops),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "goal": "added p99 < 1 ms",
    }, indent=2))
    ledger.close()


if __name__ == "__main__":
    main()
