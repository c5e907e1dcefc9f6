"""What the chaos server does to each request: a seeded, reproducible schedule.

A schedule is either a fixed script (played in order, then ``then`` forever,
or looped) or a set of fault probabilities (the remainder is ``ok``), drawn
from ``random.Random(seed)`` with exactly one draw per request, so the same
seed always gives the same sequence of outcomes for the same request order.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack


class Fault(StrEnum):
    OK = "ok"
    LATENCY = "latency"  # sleep latency_ms, then answer ok
    RATE_LIMITED = "429"  # with a retry-after header
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    OVERLOADED = "529"  # anthropic's overloaded_error
    HANG = "hang"  # never answer; wait for the client to give up
    RESET = "reset"  # send part of the response, then reset the connection
    MALFORMED = "malformed"  # 200 with a body that is not valid JSON
    TRICKLE = "trickle"  # a valid answer, a few bytes at a time
    QUOTA = "quota"  # 429 that says the quota / credit is exhausted
    AUTH = "401"
    CANNED = "canned"  # a reply given to ChaosServer.reply_with, not drawn from a schedule


FAILURES: tuple[Fault, ...] = tuple(
    f for f in Fault if f not in (Fault.OK, Fault.LATENCY, Fault.CANNED))


def parse_faults(spec: str | Iterable[str]) -> tuple[Fault, ...]:
    """``"429,500,hang"`` → faults; raises ``ValueError`` naming the unknown one."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    faults = []
    for raw in items:
        name = raw.strip().lower()
        if not name:
            continue
        try:
            if name == Fault.CANNED:
                raise ValueError(name)  # canned replies come from reply_with, not a schedule
            faults.append(Fault(name))
        except ValueError:
            known = ", ".join(f.value for f in Fault if f is not Fault.CANNED)
            raise ValueError(f"unknown fault {name!r}; known: {known}") from None
    return tuple(faults)


class Tuning(TypedDict, total=False):
    """The knobs every schedule shape accepts besides its own (see Schedule's fields)."""

    latency_ms: int
    base_latency_ms: int
    retry_after_s: int
    trickle_bytes: int
    trickle_interval_ms: int
    reply_text: str
    report_usage: bool


@dataclass(frozen=True)
class Schedule:
    seed: int = 0
    # Probability of each fault per request; whatever is left is ``ok``.
    weights: Mapping[Fault, float] = field(default_factory=dict)
    # A fixed sequence played first; afterwards ``then`` (or the script again when loop).
    script: tuple[Fault, ...] = ()
    loop: bool = False
    then: Fault | None = None  # None: fall back to the weights
    latency_ms: int = 200  # how long a LATENCY outcome waits
    base_latency_ms: int = 0  # added before every answer
    retry_after_s: int = 2  # the 429's retry-after header
    trickle_bytes: int = 8
    trickle_interval_ms: int = 5
    reply_text: str = "Chaos says hello: all systems nominal."
    report_usage: bool = True  # False: answer without usage, like some local servers

    def __post_init__(self) -> None:
        total = sum(self.weights.values())
        if any(w < 0 for w in self.weights.values()) or total > 1.0 + 1e-9:
            raise ValueError("fault probabilities must be >= 0 and sum to at most 1")
        if self.loop and not self.script:
            raise ValueError("loop needs a script")

    @classmethod
    def healthy(cls, **kw: Unpack[Tuning]) -> Schedule:
        return cls(**kw)

    @classmethod
    def always(cls, fault: Fault | str, **kw: Unpack[Tuning]) -> Schedule:
        return cls(script=(Fault(fault),), loop=True, **kw)

    @classmethod
    def scripted(cls, faults: Iterable[Fault | str], *, then: Fault | str = Fault.OK,
                 loop: bool = False, **kw: Unpack[Tuning]) -> Schedule:
        return cls(script=tuple(Fault(f) for f in faults), then=Fault(then), loop=loop, **kw)

    @classmethod
    def failing(cls, rate: float, kinds: Iterable[Fault | str] = (Fault.SERVER_ERROR,),
                *, seed: int = 0, **kw: Unpack[Tuning]) -> Schedule:
        """Fail ``rate`` of requests, spread evenly over ``kinds``."""
        faults = tuple(Fault(k) for k in kinds)
        if not faults:
            raise ValueError("failing needs at least one fault kind")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        share = rate / len(faults)
        weights: dict[Fault, float] = {}
        for f in faults:
            weights[f] = weights.get(f, 0.0) + share
        return cls(seed=seed, weights=weights, **kw)

    def player(self) -> SchedulePlayer:
        return SchedulePlayer(self)


class SchedulePlayer:
    """Plays one schedule: ``next()`` gives the outcome of the next request."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._rng = random.Random(schedule.seed)
        self._index = 0
        # Sorted by value so the draw does not depend on dict insertion order.
        self._cumulative: list[tuple[float, Fault]] = []
        acc = 0.0
        for fault in sorted(schedule.weights, key=lambda f: f.value):
            acc += schedule.weights[fault]
            self._cumulative.append((acc, fault))

    def next(self) -> Fault:
        s = self.schedule
        i, self._index = self._index, self._index + 1
        if s.script:
            if s.loop:
                return s.script[i % len(s.script)]
            if i < len(s.script):
                return s.script[i]
            if s.then is not None:
                return s.then
        draw = self._rng.random()
        for bound, fault in self._cumulative:
            if draw < bound:
                return fault
        return Fault.OK

    def take(self, n: int) -> list[Fault]:
        return [self.next() for _ in range(n)]
