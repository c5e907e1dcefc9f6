"""The ledger: period totals from history, restarts, dead processes, and no overspend when shared."""

from __future__ import annotations

import math
from datetime import UTC

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetSettings
from keel.scan.tokens import count_tokens
from keel.spend.guard import INPUT_MARGIN
from keel.spend.ledger import Charge, Ledger
from keel.storage.owner import ProcessOwner

from .spend_fakes import CountingProvider, FakeClock, guard_for, make_ledger, request, send

pytestmark = pytest.mark.timeout(120)
DAY = 86_400


def test_restart_keeps_the_days_and_months_spend(tmp_path):
    clock = FakeClock()
    first = make_ledger(tmp_path / "spend.db", clock)
    first.settle(first.reserve(Charge("r1", 0.30), BudgetSettings()), 0.25)
    first.close()
    again = make_ledger(tmp_path / "spend.db", clock)  # a new process on the same history
    assert again.totals().today == pytest.approx(0.25)
    with pytest.raises(BudgetExceeded) as caught:
        again.reserve(Charge("r2", 0.30), BudgetSettings(daily_usd=0.50))
    assert caught.value.details["spentUsd"] == pytest.approx(0.25)


def test_days_and_months_follow_the_calendar(tmp_path):
    clock = FakeClock()  # 2026-01-01 00:00 UTC
    ledger = make_ledger(tmp_path / "spend.db", clock)
    ledger.settle(ledger.reserve(Charge("r1", 1.0), BudgetSettings()), 1.0)
    clock.at += DAY  # Jan 2: a new day, the same month
    assert (ledger.totals().today, ledger.totals().month) == (0, pytest.approx(1.0))
    clock.at += 31 * DAY  # Feb 2: a new month
    assert ledger.totals().month == 0


def test_a_reservation_held_by_a_dead_process_is_counted_then_reclaimed(tmp_path):
    path = tmp_path / "spend.db"
    gone: set[int] = set()
    other = Ledger(path, clock=FakeClock(), tz=UTC, owner=ProcessOwner(99, "h|other"),
                   is_gone_fn=lambda pid, token: pid in gone)
    # near its limit the lease holds exactly this call; then that process dies mid-call
    other.reserve(Charge("r1", 0.6), BudgetSettings(daily_usd=1.0))
    mine = make_ledger(path, gone=lambda pid, token: pid in gone)
    with pytest.raises(BudgetExceeded):  # alive: its hold counts
        mine.reserve(Charge("r2", 0.6), BudgetSettings(daily_usd=1.0))
    gone.add(99)
    with pytest.raises(BudgetExceeded):  # dead: settled at its full hold (it may have been billed)
        mine.reserve(Charge("r2", 0.6), BudgetSettings(daily_usd=1.0))
    totals = mine.totals()
    assert totals.reserved == 0 and totals.today == pytest.approx(0.6)
    mine.reserve(Charge("r3", 0.4), BudgetSettings(daily_usd=1.0))


OVERSPEND: list[float] = []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget_calls=st.floats(min_value=0.5, max_value=6.5),
       yields=st.lists(st.lists(st.integers(0, 5), min_size=8, max_size=8), min_size=2, max_size=6),
       per_run=st.booleans())
def test_parallel_runs_in_two_processes_never_overspend(tmp_path_factory, budget_calls, yields,
                                                        per_run):
    """Runs in two 'processes' (two ledgers on one file) call until refused, interleaved at
    random; each call's real cost is its whole reservation, so any race would overspend."""
    path = tmp_path_factory.mktemp("ledger") / "spend.db"
    req = request()
    exact = CountingProvider(input_tokens=math.ceil(count_tokens(req.prompt) * INPUT_MARGIN),
                             output_tokens=req.max_output_tokens)
    unit = exact.input_tokens / 1e6 + exact.output_tokens / 1e6  # MODEL: $1/Mtok both ways
    budget = budget_calls * unit
    clock = FakeClock()
    ledgers = [Ledger(path, clock=clock, tz=UTC, owner=ProcessOwner(n, f"h|{n}"),
                      is_gone_fn=lambda pid, token: False) for n in (1, 2)]
    limits = {"per_run_usd": budget} if per_run else {"daily_usd": budget}

    async def one_run(index: int, steps: list[int]) -> None:
        provider = CountingProvider(exact.input_tokens, exact.output_tokens, yields=list(steps))
        guard = guard_for(ledgers[index % 2], **limits)
        for _ in steps:
            try:
                await send(guard, provider, run_id="shared" if per_run else f"run{index}", req=req)
            except BudgetExceeded:
                return

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for index, steps in enumerate(yields):
                tg.start_soon(one_run, index, steps)

    anyio.run(main)
    totals = ledgers[0].totals("shared")
    spent = totals.run if per_run else totals.today
    OVERSPEND.append(max(0.0, spent - budget))
    assert totals.reserved == 0
    assert spent <= budget + 1e-9, f"overspent by {spent - budget}"
    assert spent > budget - unit - 1e-9  # and the budget was used, not refused early
    for ledger in ledgers:
        ledger.close()
