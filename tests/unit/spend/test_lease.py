"""Leases: a run's calls hold in memory inside room reserved once, and no window loses the
last dollar, a fair share, or a settled spend to them (issue 25's added latency)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC
from pathlib import Path

import anyio
import pytest

import keel.spend.guard as guard_module
from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetSettings
from keel.providers.registry import price_usd
from keel.spend.guard import SpendGuard, worst_case_usd
from keel.spend.lease import CALLS_AHEAD, FAIR_SHARE
from keel.spend.ledger import Charge, Ledger
from keel.storage.boundary import default_connect
from keel.storage.owner import ProcessOwner

from .spend_fakes import MODEL, CountingProvider, FakeClock, guard_for, make_ledger, request, send

pytestmark = pytest.mark.timeout(60)
WORST = worst_case_usd(MODEL, request())


def other_window(path: Path, pid: int = 2, gone=lambda pid, token: False) -> Ledger:
    return Ledger(path, clock=FakeClock(), tz=UTC, owner=ProcessOwner(pid, f"h|{pid}"),
                  is_gone_fn=gone)


def traced(statements: list[str]):
    def connect(path: Path) -> sqlite3.Connection:
        conn = default_connect(path)
        conn.set_trace_callback(statements.append)
        return conn
    return connect


async def test_calls_inside_a_runs_lease_touch_neither_the_file_nor_a_thread(tmp_path,
                                                                              monkeypatch):
    statements: list[str] = []
    ledger = Ledger(tmp_path / "spend.db", clock=FakeClock(), tz=UTC, connect=traced(statements),
                    owner=ProcessOwner(1, "h|1"), is_gone_fn=lambda pid, token: False)
    hops: list[object] = []
    real = guard_module.in_thread

    async def counting(fn, *args, **kwargs):
        hops.append(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(guard_module, "in_thread", counting)
    guard, provider = guard_for(ledger, daily_usd=1.0), CountingProvider()
    await send(guard, provider)  # the first call of the run sizes its lease
    before = (len(statements), len(hops))
    for _ in range(CALLS_AHEAD):
        await send(guard, provider)
    assert provider.sent == CALLS_AHEAD + 1
    assert (len(statements), len(hops)) == before  # memory only, on the loop
    actual = price_usd(MODEL, provider.input_tokens, provider.output_tokens)
    totals = ledger.totals("r1")  # this process's view: what was spent, nothing held
    assert totals.run == pytest.approx(5 * actual) and totals.reserved == 0


async def test_other_windows_count_a_lease_whole_until_the_run_ends(tmp_path):
    path = tmp_path / "spend.db"
    ledger, provider = make_ledger(path), CountingProvider()
    guard = guard_for(ledger)
    await send(guard, provider)
    seen = other_window(path).totals()  # settled in memory only: the lease is all they see
    assert seen.reserved == pytest.approx((CALLS_AHEAD + 1) * WORST) == seen.today
    await guard.end_run("r1")  # written, and the room given back
    seen = other_window(path).totals()
    actual = price_usd(MODEL, provider.input_tokens, provider.output_tokens)
    assert seen.reserved == 0 and seen.today == pytest.approx(actual)
    assert ledger.totals().reserved == 0


def test_a_lease_takes_at_most_a_fair_share_of_a_period_budget(tmp_path):
    path = tmp_path / "spend.db"
    limits = BudgetSettings(daily_usd=1.0)
    mine = make_ledger(path)
    mine.open_run("big", limits, want_usd=50.0)  # its estimate is far above the budget
    assert other_window(path).totals().reserved == pytest.approx(FAIR_SHARE * 1.0)
    # a second window can still hold the other three quarters, and not a cent more
    theirs = other_window(path)
    theirs.reserve(Charge("small", 0.75), limits)
    with pytest.raises(BudgetExceeded):
        theirs.reserve(Charge("small2", 0.01), limits)


def test_near_a_limit_the_lease_is_exact_and_settlements_are_written_through(tmp_path):
    path = tmp_path / "spend.db"
    mine = make_ledger(path)
    limits = BudgetSettings(daily_usd=3.0)
    hold = mine.reserve(Charge("r1", 1.0), limits)  # a quarter of $2 left cannot hold another $1
    assert other_window(path).totals().reserved == pytest.approx(1.0)
    assert mine.settle(hold, 0.4) is True  # the guard then releases: no room idles here
    mine.release("r1")
    seen = other_window(path).totals()
    assert (seen.reserved, seen.today) == (0, pytest.approx(0.4))


def test_lowering_a_budget_mid_run_is_obeyed_inside_the_lease(tmp_path):
    ledger = make_ledger(tmp_path / "spend.db")
    ledger.open_run("r1", BudgetSettings(daily_usd=100.0), want_usd=5.0)
    assert ledger.try_hold(Charge("r1", 1.0), BudgetSettings(daily_usd=100.0)) is not None
    assert ledger.try_hold(Charge("r1", 1.0), BudgetSettings(daily_usd=1.5)) is None
    with pytest.raises(BudgetExceeded):  # $1 already held: the lowered budget refuses
        ledger.reserve(Charge("r1", 1.0), BudgetSettings(daily_usd=1.5))


def test_a_lease_does_not_outlive_its_day(tmp_path):
    clock = FakeClock()
    ledger = make_ledger(tmp_path / "spend.db", clock)
    limits = BudgetSettings(daily_usd=100.0)
    ledger.open_run("r1", limits, want_usd=5.0)
    clock.at += 86_400
    assert ledger.try_hold(Charge("r1", 1.0), limits) is None  # sized against yesterday


def test_a_dead_windows_lease_is_settled_whole_never_less_than_it_spent(tmp_path):
    path = tmp_path / "spend.db"
    gone: set[int] = set()
    other = other_window(path, pid=99, gone=lambda pid, token: pid in gone)
    limits = BudgetSettings(daily_usd=10.0)
    other.open_run("r1", limits, want_usd=2.0)
    for _ in range(3):  # spent in memory, never written: then the process dies
        other.settle(other.reserve(Charge("r1", 0.5), limits), 0.5)
    gone.add(99)
    mine = make_ledger(path, gone=lambda pid, token: pid in gone)
    with pytest.raises(BudgetExceeded):
        mine.reserve(Charge("r2", 8.5), limits)  # fits only if the dead lease counted < $2
    totals = mine.totals()
    assert totals.reserved == 0 and totals.today == pytest.approx(2.0)  # whole: ≥ the $1.50


_KILLED_CHILD = textwrap.dedent("""
    import os, signal, sys
    from keel.protocol.budget import BudgetSettings
    from keel.spend.ledger import Charge, Ledger
    ledger = Ledger(__import__("pathlib").Path(sys.argv[1]))
    limits = BudgetSettings(daily_usd=10.0)
    ledger.open_run("child", limits, want_usd=2.0)
    for _ in range(3):
        ledger.settle(ledger.reserve(Charge("child", 0.5), limits), 0.5)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_window_killed_mid_run_never_lets_a_later_call_overspend(tmp_path):
    path = tmp_path / "spend.db"
    child = subprocess.run([sys.executable, "-I", "-c", _KILLED_CHILD, str(path)],
                           cwd=tmp_path, capture_output=True, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    mine = Ledger(path)  # the real liveness check sees the child gone
    limits = BudgetSettings(daily_usd=10.0)
    with pytest.raises(BudgetExceeded):
        mine.reserve(Charge("later", 8.6), limits)  # $1.50 was spent: $8.60 must not fit
    assert mine.totals().today >= 1.5 and mine.totals().reserved == 0
    mine.close()


async def test_a_locked_ledger_sends_no_call_beyond_the_room_already_leased(tmp_path):
    path = tmp_path / "spend.db"
    ledger, provider = make_ledger(path), CountingProvider()
    guard = guard_for(ledger, daily_usd=1.0)
    await send(guard, provider)  # the run's lease: room for a few more calls
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        with pytest.raises(BudgetExceeded) as caught:
            for _ in range(20):  # already reserved durably: these may go, until it must grow
                await send(guard, provider)
        assert caught.value.code == "budget.unavailable"
        sent = provider.sent
        actual = price_usd(MODEL, provider.input_tokens, provider.output_tokens)
        assert CALLS_AHEAD + 1 <= sent and sent * actual <= (CALLS_AHEAD + 1) * WORST
        with pytest.raises(BudgetExceeded):
            await send(guard, provider, run_id="fresh")  # a new run: nothing leased, nothing sent
        assert provider.sent == sent
    finally:
        locker.execute("ROLLBACK")
        locker.close()


async def test_a_damaged_ledger_sends_no_call(tmp_path):
    path = tmp_path / "spend.db"
    path.write_bytes(b"not a database, truncated by a sync tool" * 20)
    provider = CountingProvider()
    with pytest.raises(BudgetExceeded) as caught:
        await send(guard_for(make_ledger(path), daily_usd=1.0), provider)
    assert caught.value.code == "budget.unavailable" and provider.sent == 0


def test_the_ledger_journal_has_no_shared_memory_file(tmp_path):
    """No WAL: no ``-shm`` mapping another process could truncate under us (issue 21)."""
    path = tmp_path / "spend.db"
    ledger = make_ledger(path)
    limits = BudgetSettings(daily_usd=1.0)
    ledger.settle(ledger.reserve(Charge("r1", 0.1), limits), 0.05)
    ledger.release("r1")
    assert not Path(f"{path}-shm").exists() and not Path(f"{path}-wal").exists()
    assert ledger.totals().today == pytest.approx(0.05)


_RACER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from keel.errors import BudgetExceeded, KeelError
    from keel.protocol.budget import BudgetSettings
    from keel.spend.ledger import Charge, Ledger
    ledger = Ledger(Path(sys.argv[1]))
    limits = BudgetSettings(daily_usd=1.0)
    sent = 0
    for call in range(400):
        try:
            hold = ledger.reserve(Charge(sys.argv[2], 0.01 + call % 3 * 0.005), limits)
        except BudgetExceeded:
            break
        except KeelError:  # the file stayed locked past the busy timeout: not sent, try again
            continue
        ledger.settle(hold, hold.usd)  # billed its whole worst case: any race overspends
        sent += 1
    ledger.close()
    print(sent)
""")


def test_two_processes_racing_for_the_last_dollar_never_both_get_it(tmp_path):
    path = tmp_path / "spend.db"
    Ledger(path).totals()  # the file exists before they race
    racers = [subprocess.Popen([sys.executable, "-I", "-c", _RACER, str(path), f"run{n}"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for n in (1, 2)]
    outputs = [racer.communicate(timeout=50) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), outputs
    sent = [int(out.split()[-1]) for out, _err in outputs]  # the last line: a log may precede it
    seen = Ledger(path).totals()
    assert seen.reserved == 0 and seen.today <= 1.0 + 1e-9  # never a cent over
    assert seen.today > 1.0 - 0.02 and sum(sent) >= 50  # and the budget was used, not refused early


async def test_a_new_storage_folder_writes_the_old_ledgers_leases_back_off_the_loop(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    closed: list[tuple[str, int]] = []
    done = threading.Event()

    class Spy(Ledger):
        def close(self):
            super().close()
            closed.append((threading.current_thread().name, self.path.parent.name))
            done.set()

    current = [folders[0]]
    guard = SpendGuard(lambda: current[0], lambda: BudgetSettings(daily_usd=1.0),
                       ledger_factory=lambda path: Spy(path, clock=FakeClock(), tz=UTC))
    provider = CountingProvider()
    await send(guard, provider)  # a lease in folder a
    current[0] = folders[1]
    await send(guard, provider)  # the switch: folder a's ledger closes, not on the loop
    await anyio.to_thread.run_sync(done.wait)
    assert closed == [("keel-spend-close", "a")]
    seen = other_window(folders[0] / "spend.db").totals()
    assert seen.reserved == 0 and seen.today == pytest.approx(
        price_usd(MODEL, provider.input_tokens, provider.output_tokens))
    guard.close()
