"""A run's lease: headroom reserved durably once, handed out to its model calls in memory.

Why a lease: a durable SQLite commit (``synchronous = FULL``, no WAL: see
``storage.database.configure``) costs about 0.5 ms p50 / 0.7 ms p99 here, and the
reservation used to make two per call (reserve and settle), for ~2 ms p99 added
to every model call against a goal of < 1 ms. A lease row in ``spend.db`` holds
``size`` USD for one run of one process; every other process counts it whole,
exactly as it counted a single call's reservation, so the last dollar is still
never spent twice. Inside the lease, holding a call's worst case and settling
what it cost are memory updates: no thread hop, no disk.

Weighed and not taken: settling non-durably alone (``synchronous = OFF`` for the
settle) halves the cost but keeps one commit per call (~0.7 ms p99 before the
thread hop), and OFF in rollback-journal mode may corrupt the file on power loss,
taking the durable reservations with it; WAL brings back the ``-shm`` mapping
that issue 21 removed (a truncated ``-shm`` SIGBUSes the server).

Sizing (``extra``): the free room beyond the call asked for is a few calls'
worth (or, when a run opens its lease, its estimate), never more than a quarter
of what is left of a period budget, so a second window keeps three quarters of
the headroom. Near a limit (the quarter does not fit another call of this size)
the lease is *tight*: exactly the calls in flight, and each settlement is
written through at once, so no room sits idle in one window while another is
refused.

What a crash costs: the unwritten settlements are lost and the lease row is
settled at its full size when a budget next needs the room (``owner.gone``):
over-counted by at most the free room, never under-counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from keel.protocol.budget import BudgetSettings

from .totals import EPSILON

CALLS_AHEAD = 4  # free room a call's lease grows by: this many more calls of its size
FAIR_SHARE = 0.25  # at most this share of what is left of a period budget, per lease
_ids = itertools.count(1)


@dataclass(frozen=True)
class Settled:
    """A call settled in memory, not yet written: one ``settled`` row when flushed."""

    at: float
    run_id: str
    stage_id: str | None
    provider: str | None
    model: str | None
    reserved_usd: float
    usd: float


@dataclass(frozen=True)
class Hold:
    """One call's worst case, held inside its run's lease until ``Ledger.settle``."""

    run_id: str
    id: int
    usd: float
    stage_id: str | None = None
    provider: str | None = None
    model: str | None = None


@dataclass
class Lease:
    """A run's room: ``size`` is what its row in ``spend.db`` holds (always ≥ held + used)."""

    run_id: str
    row: int | None = None
    size: float = 0.0
    held: float = 0.0  # worst cases of the calls in flight
    used: float = 0.0  # settled, not yet written (the sum of ``pending``)
    pending: list[Settled] = field(default_factory=list)
    by_day: dict[str, float] = field(default_factory=dict)  # ``used`` per local day
    holds: dict[int, Hold] = field(default_factory=dict)
    limits: BudgetSettings | None = None  # the limits and the day it was sized under
    day: str = ""
    tight: bool = True
    busy: bool = False  # a transaction is resizing it: holds wait for it (in a thread)

    @property
    def free(self) -> float:
        return self.size - self.held - self.used

    def fits(self, usd: float, limits: BudgetSettings, day: str) -> bool:
        return (not self.busy and self.day == day and self.free + EPSILON >= usd
                and (self.limits is limits or self.limits == limits))

    def hold(self, run_id: str, usd: float, stage_id: str | None, provider: str | None,
             model: str | None) -> Hold:
        taken = Hold(run_id, next(_ids), usd, stage_id, provider, model)
        self.holds[taken.id] = taken
        self.held += usd
        return taken

    def settle(self, hold: Hold, usd: float, at: float, day: str) -> bool:
        """Move a hold to ``pending`` at what it cost; False when it was settled already."""
        if self.holds.pop(hold.id, None) is None:
            return False
        self.held -= hold.usd
        self.used += usd
        self.by_day[day] = self.by_day.get(day, 0.0) + usd
        self.pending.append(Settled(at, hold.run_id, hold.stage_id, hold.provider, hold.model,
                                    hold.usd, usd))
        return True

    def written(self, count: int, day_of: Callable[[float], str]) -> None:
        """The first ``count`` pending settlements are in the file now."""
        del self.pending[:count]
        self.used, self.by_day = 0.0, {}
        for done in self.pending:
            self.used += done.usd
            self.by_day[day_of(done.at)] = self.by_day.get(day_of(done.at), 0.0) + done.usd

    def idle(self) -> bool:
        return not self.holds and not self.pending


def extra_room(limits: BudgetSettings, *, run_spent: float, today: float, month: float,
               usd: float, want: float) -> float:
    """Free room to add beyond ``usd``: ``want`` capped by each budget's fair share; 0 (a
    tight lease) when that share cannot hold another call of this size."""
    caps = [want]
    if limits.per_run_usd is not None:  # the run's own budget: no other window to leave room for
        caps.append(limits.per_run_usd - run_spent - usd)
    for limit, spent in ((limits.daily_usd, today), (limits.monthly_usd, month)):
        if limit is not None:
            caps.append((limit - spent - usd) * FAIR_SHARE)
    room = max(0.0, min(caps))
    return room if room + EPSILON >= usd or not limits.limited() else 0.0
