"""The spend ledger: reservations and settled spend in one SQLite file shared by every process.

Why a file of its own (``spend.db`` beside the workspaces' histories, under
``storage.dir``) and not the workspace history: a budget caps what a *person*
spends, across windows and workspaces, and a separate schema leaves the
history's forward-only migrations alone. It is opened through the storage
boundary (``default_connect``, the history's pragmas: rollback journal, FULL
sync, no mmap, so no ``-shm`` to SIGBUS on; error translation), so no sqlite3
import lives here.

Why a transaction and no lock of our own: ``BEGIN IMMEDIATE`` takes SQLite's
write lock before the totals are read, so two processes (or two threads) can
never both see the same last dollar as free. Each run's calls hold inside the
run's *lease* (``lease.py`` says why and how it is sized): a ``reserved`` row
every other process counts whole, grown, shrunk and settled in such
transactions; holding and settling inside it is memory only, written with the
next transaction (the lease's next growth, the run's end, ``close``).

Rows: one ``lease`` row per run in flight (``reserved``), one ``settled`` row
per model call, one per refusal (``refused``, carrying the reservation it would
have made). Settled spend is also added to ``spend_days`` (local calendar day →
USD), so the day's and the month's totals read at most 31 rows however many
calls were made. A reservation or lease of a process that died is settled at its
full amount (its calls may have been billed, its settlements never written),
checked only when a budget would otherwise refuse.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from keel.errors import KeelError
from keel.protocol.budget import BudgetSettings
from keel.storage.boundary import STORAGE_FAILURES, ConnectionFactory, default_connect, translate
from keel.storage.database import configure
from keel.storage.owner import ProcessOwner, is_gone, this_process

from .lease import CALLS_AHEAD, Hold, Lease, Settled, extra_room
from .totals import EPSILON, Charge, Totals, over_budget, refusal, usd_text

__all__ = ["LEDGER_NAME", "Charge", "Ledger", "Totals", "over_budget", "refusal", "usd_text"]

LEDGER_NAME = "spend.db"
KEEP_CALL_ROWS_S = 62 * 86_400  # the current and the previous month
KEEP_DAYS = 400
LEASE = "lease"  # the reason of a lease row (state reserved: every process counts it whole)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS spend (
        id INTEGER PRIMARY KEY, at REAL NOT NULL, run_id TEXT NOT NULL, stage_id TEXT,
        provider TEXT, model TEXT, state TEXT NOT NULL, reserved_usd REAL NOT NULL,
        usd REAL NOT NULL, owner_pid INTEGER, owner_token TEXT, reason TEXT)""",
    "CREATE INDEX IF NOT EXISTS spend_run ON spend(run_id)",
    "CREATE INDEX IF NOT EXISTS spend_at ON spend(at)",
    "CREATE INDEX IF NOT EXISTS spend_reserved ON spend(state) WHERE state = 'reserved'",
    "CREATE TABLE IF NOT EXISTS spend_days (day TEXT PRIMARY KEY, usd REAL NOT NULL)",
)


class Ledger:
    """Thread-safe. ``try_hold`` and ``settle`` touch memory only (the loop may call them);
    every other method blocks briefly on SQLite, so callers on the loop use a thread."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time,
                 tz: tzinfo | None = None, connect: ConnectionFactory = default_connect,
                 owner: ProcessOwner | None = None,
                 is_gone_fn: Callable[[int, str | None], bool] = is_gone) -> None:
        self.path = path
        self._clock = clock
        self._tz = tz  # None: the machine's local time zone
        self._connect = connect
        self._owner = owner
        self._is_gone = is_gone_fn
        # Lock order: _lock (the connection; held across SQLite) before _mem (the leases;
        # held for microseconds, never across I/O, so the loop may take it).
        self._lock = threading.RLock()
        self._mem = threading.Lock()
        self._leases: dict[str, Lease] = {}
        self._base: tuple[str, Totals] | None = None  # the file's totals at the last visit
        self._conn: Any = None

    # -- periods ---------------------------------------------------------------------------
    def _local(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, self._tz) if self._tz else datetime.fromtimestamp(
            at).astimezone()

    def _day_key(self, at: float) -> str:
        return self._local(at).strftime("%Y-%m-%d")

    # -- connection ------------------------------------------------------------------------
    def _db(self) -> Any:
        if self._conn is None:
            conn = self._connect(self.path)
            try:
                configure(conn)
                for statement in _SCHEMA:
                    conn.execute(statement)
                now = self._clock()
                conn.execute("DELETE FROM spend WHERE at < ? AND state != 'reserved'",
                             (now - KEEP_CALL_ROWS_S,))
                conn.execute("DELETE FROM spend_days WHERE day < ?",
                             (self._day_key(now - KEEP_DAYS * 86_400),))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _transaction(self, work: Callable[[Any], Any]) -> Any:
        with self._lock:
            try:
                conn = self._db()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            except STORAGE_FAILURES as exc:
                raise translate(exc, self.path) from exc

    def close(self) -> None:
        """Give every lease's free room back and write its settlements, then close."""
        with self._lock:
            try:
                for run_id in list(self._leases):
                    self.release(run_id)
            except KeelError:
                pass  # still reserved: counted whole until this process is gone, never less
            finally:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

    # -- reading ---------------------------------------------------------------------------
    def _totals(self, conn: Any, run_id: str | None, exclude: list[int]) -> Totals:
        """The file's totals, leaving out the lease rows in ``exclude`` (counted from memory)."""
        now = self._clock()
        today = self._day_key(now)
        month_first = today[:8] + "01"
        day_usd, month_usd = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN day = ? THEN usd END), 0), COALESCE(SUM(usd), 0) "
            "FROM spend_days WHERE day >= ?", (today, month_first)).fetchone()
        skip = f" AND id NOT IN ({','.join('?' * len(exclude))})" if exclude else ""
        reserved = conn.execute(
            "SELECT COALESCE(SUM(reserved_usd), 0) FROM spend WHERE state = 'reserved'" + skip,
            exclude).fetchone()[0]
        run = 0.0
        if run_id is not None:
            run = conn.execute(
                "SELECT COALESCE(SUM(CASE state WHEN 'reserved' THEN reserved_usd ELSE usd END),"
                " 0) FROM spend WHERE run_id = ? AND state != 'refused'" + skip,
                (run_id, *exclude)).fetchone()[0]
        return Totals(today=day_usd + reserved, month=month_usd + reserved, reserved=reserved,
                      run=run)

    def _plus_mine(self, base: Totals, run_id: str | None) -> Totals:
        """``base`` (without this process's lease rows) plus what its leases really hold and
        spent (unwritten settlements by their day); call with ``_mem`` held."""
        today = self._day_key(self._clock())
        held = spent_today = spent_month = 0.0
        for lease in self._leases.values():
            held += lease.held
            for day, usd in lease.by_day.items():
                spent_today += usd if day == today else 0.0
                spent_month += usd if day[:7] == today[:7] and day <= today else 0.0
        own = self._leases.get(run_id) if run_id is not None else None
        return Totals(today=base.today + held + spent_today,
                      month=base.month + held + spent_month, reserved=base.reserved + held,
                      run=base.run + (own.held + own.used if own is not None else 0.0))

    def totals(self, run_id: str | None = None) -> Totals:
        """This process's view: its own leases count what they hold and spent, not their room."""
        def work(conn: Any) -> Totals:
            with self._mem:
                rows = [lease.row for lease in self._leases.values() if lease.row is not None]
            base = self._totals(conn, run_id, rows)
            with self._mem:
                self._base = (self._day_key(self._clock()), dataclasses.replace(base, run=0.0))
                return self._plus_mine(base, run_id)
        return self._transaction(work)  # type: ignore[no-any-return]

    def local_totals(self) -> Totals | None:
        """``totals()`` from memory: the file as last read plus this process's leases (other
        processes' spend since then is missing); None once the day has turned."""
        day = self._day_key(self._clock())
        with self._mem:
            if self._base is None or self._base[0] != day:
                return None
            return self._plus_mine(self._base[1], None)

    # -- holding and settling ----------------------------------------------------------------
    def try_hold(self, charge: Charge, limits: BudgetSettings) -> Hold | None:
        """Hold ``charge`` inside its run's lease, in memory; None when the lease (if any) has
        no room for it under these limits today: then ``reserve`` (a transaction) decides."""
        day = self._day_key(self._clock())
        with self._mem:
            lease = self._leases.get(charge.run_id)
            if lease is None or not lease.fits(charge.usd, limits, day):
                return None
            return lease.hold(charge.run_id, charge.usd, charge.stage_id, charge.provider,
                              charge.model)

    def reserve(self, charge: Charge, limits: BudgetSettings) -> Hold:
        """Hold ``charge.usd``, growing the run's lease if needed; or raise ``BudgetExceeded``.

        A refusal is recorded (state ``refused``, with the reservation it would have
        made) in the same transaction that decided it, and the lease's free room goes back.
        """
        hold = self.try_hold(charge, limits)
        if hold is not None:
            return hold
        outcome = self._resize(charge.run_id, limits, usd=charge.usd,
                               want=CALLS_AHEAD * charge.usd, charge=charge)
        if isinstance(outcome, Hold):
            return outcome
        assert outcome is not None  # a call's resize either holds or refuses
        crossed, totals = outcome
        raise refusal(crossed, limits, totals, charge.usd)

    def open_run(self, run_id: str, limits: BudgetSettings, want_usd: float) -> None:
        """Reserve a run's room before its first call (its estimate, within the fair share),
        so its calls hold in memory from the start. Never refuses: the calls will."""
        self._resize(run_id, limits, usd=0.0, want=max(0.0, want_usd), charge=None)

    def settle(self, hold: Hold, usd: float) -> bool:
        """Replace a hold by what the call really cost (0 when nothing was billed), in memory.
        True when the lease should be written through now (``release``): it is tight (near a
        limit), or the call cost more than its hold."""
        with self._mem:
            lease = self._leases.get(hold.run_id)
            at = self._clock()
            if lease is None or not lease.settle(hold, usd, at, self._day_key(at)):
                return False
            return lease.tight or lease.free < -EPSILON

    def release(self, run_id: str) -> Totals | None:
        """Write the run's settlements and give its free room back (the run ended, or its
        lease is tight); the calls still in flight stay held. Returns ``totals()``, or None
        when the run has no lease (nothing read, nothing written)."""
        with self._lock:
            if run_id not in self._leases:
                return None
            self._resize(run_id, None, usd=0.0, want=0.0, charge=None)
            return self.totals()

    def _resize(self, run_id: str, limits: BudgetSettings | None, *, usd: float, want: float,
                charge: Charge | None) -> Hold | tuple[str, Totals] | None:
        """One transaction: write the lease's pending settlements, then size it anew for a
        call of ``usd`` (None limits: shrink to what is held). Memory follows the commit."""
        with self._lock:
            with self._mem:
                lease = self._leases.get(run_id)
                if lease is None:
                    if limits is None:
                        return None
                    lease = self._leases[run_id] = Lease(run_id)
                lease.busy = True
                held, pending = lease.held, list(lease.pending)
                others = sum(other.size for other in self._leases.values() if other is not lease)
            try:
                plan = self._transaction(
                    lambda conn: self._plan(conn, lease, limits, usd, want, charge, held,
                                            pending))
            except BaseException:
                with self._mem:
                    lease.busy = False
                    if lease.row is None and lease.idle():
                        self._leases.pop(run_id, None)
                raise
            size, row, outcome, base, tight, day = plan
            with self._mem:
                lease.written(len(pending), self._day_key)
                lease.size, lease.row, lease.busy = size, row, False
                self._base = (day, Totals(today=base.today - others, month=base.month - others,
                                          reserved=base.reserved - others))
                if outcome is None and limits is not None:
                    lease.limits, lease.day, lease.tight = limits, day, tight
                    if charge is not None:
                        outcome = lease.hold(run_id, usd, charge.stage_id, charge.provider,
                                             charge.model)
                else:
                    lease.tight = True  # no free room left: the next call asks the file
                if lease.row is None and lease.idle():
                    self._leases.pop(run_id, None)
            return outcome

    def _plan(self, conn: Any, lease: Lease, limits: BudgetSettings | None, usd: float,
              want: float, charge: Charge | None, held: float, pending: list[Settled]) -> tuple:
        self._flush(conn, pending)
        exclude = [lease.row] if lease.row is not None else []
        base = self._totals(conn, lease.run_id, exclude)
        view = Totals(today=base.today + held, month=base.month + held,
                      reserved=base.reserved + held, run=base.run + held)
        outcome: tuple[str, Totals] | None = None
        size, tight = held, True
        if limits is not None:
            crossed = over_budget(limits, view, usd)
            if crossed is not None and usd > 0 and self._reclaim_dead(conn):
                return self._plan(conn, lease, limits, usd, want, charge, held, [])
            if crossed is not None and usd > 0:
                if charge is not None:
                    self._insert(conn, charge, "refused", reason=f"budget.{crossed}")
                outcome = (crossed, view)
            elif crossed is None:
                extra = extra_room(limits, run_spent=view.run, today=view.today,
                                   month=view.month, usd=usd, want=want)
                size, tight = held + usd + extra, limits.limited() and extra <= EPSILON
        row = self._write_lease(conn, lease, size)
        return size, row, outcome, base, tight, self._day_key(self._clock())

    def _write_lease(self, conn: Any, lease: Lease, size: float) -> int | None:
        if size <= EPSILON:
            if lease.row is not None:
                conn.execute("DELETE FROM spend WHERE id = ? AND state = 'reserved'", (lease.row,))
            return None
        if lease.row is not None and conn.execute(
                "UPDATE spend SET reserved_usd = ? WHERE id = ? AND state = 'reserved'",
                (size, lease.row)).rowcount:
            return lease.row
        return self._insert(conn, Charge(lease.run_id, size), "reserved", reason=LEASE)

    def _flush(self, conn: Any, pending: list[Settled]) -> None:
        if not pending:
            return
        owner = self._owner or this_process()
        conn.executemany(
            "INSERT INTO spend (at, run_id, stage_id, provider, model, state, reserved_usd, usd,"
            " owner_pid, owner_token) VALUES (?, ?, ?, ?, ?, 'settled', ?, ?, ?, ?)",
            [(done.at, done.run_id, done.stage_id, done.provider, done.model, done.reserved_usd,
              done.usd, owner.pid, owner.token) for done in pending])
        days: dict[str, float] = {}
        for done in pending:
            key = self._day_key(done.at)
            days[key] = days.get(key, 0.0) + done.usd
        for key, usd in days.items():
            if usd:
                self._add_day(conn, usd, key)

    def record_refusal(self, charge: Charge, reason: str) -> None:
        """A refusal decided elsewhere (before a run, or an unpriced model): history only."""
        self._transaction(lambda conn: self._insert(conn, charge, "refused", reason=reason))

    def refusals(self, run_id: str) -> list[tuple[str | None, float, str | None]]:
        """(stage, reservation USD, reason) of each refusal of ``run_id``."""
        return self._transaction(lambda conn: conn.execute(  # type: ignore[no-any-return]
            "SELECT stage_id, reserved_usd, reason FROM spend WHERE run_id = ? "
            "AND state = 'refused' ORDER BY id", (run_id,)).fetchall())

    def _insert(self, conn: Any, charge: Charge, state: str, reason: str | None = None) -> int:
        owner = self._owner or this_process()
        cursor = conn.execute(
            "INSERT INTO spend (at, run_id, stage_id, provider, model, state, reserved_usd, usd,"
            " owner_pid, owner_token, reason) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (self._clock(), charge.run_id, charge.stage_id, charge.provider, charge.model, state,
             charge.usd, owner.pid, owner.token, reason))
        return int(cursor.lastrowid)

    def _add_day(self, conn: Any, usd: float, day: str | None = None) -> None:
        conn.execute("INSERT INTO spend_days (day, usd) VALUES (?, ?) ON CONFLICT (day) "
                     "DO UPDATE SET usd = usd + excluded.usd",
                     (day or self._day_key(self._clock()), usd))

    def _reclaim_dead(self, conn: Any) -> bool:
        """Settle at full price the reservations and leases of processes that are gone (their
        calls may have been billed, their settlements unwritten); True if any."""
        rows = conn.execute("SELECT id, reserved_usd, owner_pid, owner_token FROM spend "
                            "WHERE state = 'reserved'").fetchall()
        dead = [(rid, usd) for rid, usd, pid, token in rows
                if pid is not None and self._is_gone(pid, token)]
        for rid, usd in dead:
            conn.execute("UPDATE spend SET state = 'settled', usd = reserved_usd, "
                         "reason = 'owner.gone' WHERE id = ?", (rid,))
            self._add_day(conn, usd)
        return bool(dead)
