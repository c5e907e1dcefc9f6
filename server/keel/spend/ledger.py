"""The spend ledger: reservations and settled spend in one SQLite file shared by every process.

Why a file of its own (``spend.db`` beside the workspaces' histories, under
``storage.dir``) and not the workspace history: a budget caps what a *person*
spends, across windows and workspaces, and a separate schema leaves the
history's forward-only migrations alone. It is opened through the storage
boundary (``default_connect``, WAL pragmas, error translation), so no sqlite3
import lives here.

Why a transaction and no lock of our own: ``BEGIN IMMEDIATE`` takes SQLite's
write lock before the totals are read, so two processes (or two threads) can
never both see the same last dollar as free. Inside one process a
``threading.Lock`` guards the shared connection.

Rows: one per model call (``reserved`` → ``settled``) and one per refusal
(``refused``, carrying the reservation it would have made). Settled spend is
also added to ``spend_days`` (local calendar day → USD), so the day's and the
month's totals read at most 31 rows however many calls were made. A
reservation of a process that died is settled at its full amount (the call
may have been billed), checked only when a budget would otherwise refuse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from keel.errors import BudgetExceeded
from keel.protocol.budget import BudgetSettings
from keel.storage.boundary import STORAGE_FAILURES, ConnectionFactory, default_connect, translate
from keel.storage.database import configure
from keel.storage.owner import ProcessOwner, is_gone, this_process

LEDGER_NAME = "spend.db"
KEEP_CALL_ROWS_S = 62 * 86_400  # the current and the previous month
KEEP_DAYS = 400
_EPSILON = 1e-9  # float sums: a budget met exactly is not crossed

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


@dataclass(frozen=True)
class Totals:
    """Spend (settled + reserved) of today, this month and one run; ``reserved`` is in flight."""

    today: float
    month: float
    reserved: float
    run: float = 0.0


@dataclass(frozen=True)
class Charge:
    """One call's reservation: who, what, and its worst-case USD."""

    run_id: str
    usd: float
    stage_id: str | None = None
    provider: str | None = None
    model: str | None = None


def over_budget(limits: BudgetSettings, totals: Totals, usd: float) -> str | None:
    """The first budget ``usd`` more would cross ("perRun", "daily", "monthly"), else None."""
    for name, limit, spent in (("perRun", limits.per_run_usd, totals.run),
                               ("daily", limits.daily_usd, totals.today),
                               ("monthly", limits.monthly_usd, totals.month)):
        if limit is not None and spent + usd > limit + _EPSILON:
            return name
    return None


class Ledger:
    """Thread-safe; every method blocks briefly on SQLite, so callers on the loop use a thread."""

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
        self._lock = threading.Lock()
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
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- reading ---------------------------------------------------------------------------
    def _totals(self, conn: Any, run_id: str | None) -> Totals:
        now = self._clock()
        today = self._day_key(now)
        month_first = today[:8] + "01"
        day_usd, month_usd = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN day = ? THEN usd END), 0), COALESCE(SUM(usd), 0) "
            "FROM spend_days WHERE day >= ?", (today, month_first)).fetchone()
        reserved = conn.execute(
            "SELECT COALESCE(SUM(reserved_usd), 0) FROM spend WHERE state = 'reserved'"
        ).fetchone()[0]
        run = 0.0
        if run_id is not None:
            run = conn.execute(
                "SELECT COALESCE(SUM(CASE state WHEN 'reserved' THEN reserved_usd ELSE usd END),"
                " 0) FROM spend WHERE run_id = ? AND state != 'refused'", (run_id,)).fetchone()[0]
        return Totals(today=day_usd + reserved, month=month_usd + reserved, reserved=reserved,
                      run=run)

    def totals(self, run_id: str | None = None) -> Totals:
        return self._transaction(lambda conn: self._totals(conn, run_id))  # type: ignore[no-any-return]

    # -- writing ---------------------------------------------------------------------------
    def reserve(self, charge: Charge, limits: BudgetSettings) -> int:
        """Hold ``charge.usd``; return the reservation id, or raise ``BudgetExceeded``.

        A refusal is recorded (state ``refused``, with the reservation it would have
        made) in the same transaction that decided it.
        """
        def work(conn: Any) -> int | tuple[str, Totals]:
            totals = self._totals(conn, charge.run_id)
            crossed = over_budget(limits, totals, charge.usd)
            if crossed is not None and self._reclaim_dead(conn):
                totals = self._totals(conn, charge.run_id)
                crossed = over_budget(limits, totals, charge.usd)
            if crossed is not None:
                self._insert(conn, charge, "refused", reason=f"budget.{crossed}")
                return crossed, totals
            return self._insert(conn, charge, "reserved")

        outcome = self._transaction(work)
        if isinstance(outcome, int):
            return outcome
        crossed, totals = outcome
        raise refusal(crossed, limits, totals, charge.usd)

    def settle(self, reservation: int, usd: float) -> Totals:
        """Replace a reservation by what the call really cost (0 when nothing was billed);
        return the totals after it (for the health component, at no extra transaction)."""
        def work(conn: Any) -> Totals:
            changed = conn.execute(
                "UPDATE spend SET state = 'settled', usd = ? WHERE id = ? AND state = 'reserved'",
                (usd, reservation)).rowcount
            if changed and usd:
                self._add_day(conn, usd)
            return self._totals(conn, None)
        return self._transaction(work)  # type: ignore[no-any-return]

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

    def _add_day(self, conn: Any, usd: float) -> None:
        conn.execute("INSERT INTO spend_days (day, usd) VALUES (?, ?) ON CONFLICT (day) "
                     "DO UPDATE SET usd = usd + excluded.usd", (self._day_key(self._clock()), usd))

    def _reclaim_dead(self, conn: Any) -> bool:
        """Settle at full price the reservations of processes that are gone; True if any."""
        rows = conn.execute("SELECT id, reserved_usd, owner_pid, owner_token FROM spend "
                            "WHERE state = 'reserved'").fetchall()
        dead = [(rid, usd) for rid, usd, pid, token in rows
                if pid is not None and self._is_gone(pid, token)]
        for rid, usd in dead:
            conn.execute("UPDATE spend SET state = 'settled', usd = reserved_usd, "
                         "reason = 'owner.gone' WHERE id = ?", (rid,))
            self._add_day(conn, usd)
        return bool(dead)


def usd_text(usd: float) -> str:
    """Cents for dollars, more digits for the fractions of a cent a single call costs."""
    return f"${usd:,.2f}" if usd >= 1 or usd == 0 else f"${usd:.4f}" if usd >= 0.0001 else f"${usd:.6f}"


def refusal(crossed: str, limits: BudgetSettings, totals: Totals, usd: float,
            *, code: str = "budget.exceeded") -> BudgetExceeded:
    limit = {"perRun": limits.per_run_usd, "daily": limits.daily_usd,
             "monthly": limits.monthly_usd}[crossed]
    spent = {"perRun": totals.run, "daily": totals.today, "monthly": totals.month}[crossed]
    label = {"perRun": "per-run", "daily": "daily", "monthly": "monthly"}[crossed]
    return BudgetExceeded(
        f"Not sent: this model call may cost up to {usd_text(usd)}, and {usd_text(spent)} of "
        f"the {label} budget of {usd_text(limit or 0.0)} is already spent or held.",
        code=code, hint="Raise keel.budgets in your user settings, or run on a cheaper tier.",
        details={"budget": crossed, "limitUsd": limit, "spentUsd": round(spent, 6),
                 "reservationUsd": round(usd, 6)})
