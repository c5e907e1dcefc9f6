from __future__ import annotations

from collections import Counter

import pytest

from keel.chaos import FAILURES, Fault, Schedule, parse_faults


def test_same_seed_gives_the_same_outcomes():
    a = Schedule.failing(0.5, ["429", "500", "hang"], seed=42).player().take(300)
    b = Schedule.failing(0.5, ["429", "500", "hang"], seed=42).player().take(300)
    c = Schedule.failing(0.5, ["429", "500", "hang"], seed=43).player().take(300)
    assert a == b
    assert a != c


def test_failure_rate_and_spread_follow_the_weights():
    outcomes = Counter(Schedule.failing(0.3, ["429", "529"], seed=1).player().take(20_000))
    assert set(outcomes) == {Fault.OK, Fault.RATE_LIMITED, Fault.OVERLOADED}
    assert 0.28 < (outcomes[Fault.RATE_LIMITED] + outcomes[Fault.OVERLOADED]) / 20_000 < 0.32
    assert 0.13 < outcomes[Fault.RATE_LIMITED] / 20_000 < 0.17


def test_weights_do_not_depend_on_insertion_order():
    one = Schedule(seed=5, weights={Fault.SERVER_ERROR: 0.2, Fault.HANG: 0.1}).player().take(500)
    two = Schedule(seed=5, weights={Fault.HANG: 0.1, Fault.SERVER_ERROR: 0.2}).player().take(500)
    assert one == two


def test_healthy_is_always_ok():
    assert set(Schedule.healthy().player().take(100)) == {Fault.OK}


def test_script_plays_in_order_then_continues_with_then():
    player = Schedule.scripted(["429", "529", "ok"], then="500").player()
    assert player.take(5) == [Fault.RATE_LIMITED, Fault.OVERLOADED, Fault.OK,
                              Fault.SERVER_ERROR, Fault.SERVER_ERROR]


def test_looped_script_repeats():
    player = Schedule.scripted(["reset", "ok"], loop=True).player()
    assert player.take(5) == [Fault.RESET, Fault.OK, Fault.RESET, Fault.OK, Fault.RESET]
    assert Schedule.always("hang").player().take(3) == [Fault.HANG] * 3


def test_script_then_none_falls_back_to_weights():
    schedule = Schedule(seed=3, script=(Fault.AUTH,), weights={Fault.SERVER_ERROR: 1.0})
    assert schedule.player().take(3) == [Fault.AUTH, Fault.SERVER_ERROR, Fault.SERVER_ERROR]


def test_parse_faults():
    assert parse_faults("429, 500,hang,,QUOTA") == (Fault.RATE_LIMITED, Fault.SERVER_ERROR,
                                                   Fault.HANG, Fault.QUOTA)
    with pytest.raises(ValueError, match="unknown fault 'teapot'"):
        parse_faults("429,teapot")


def test_failures_exclude_the_answering_outcomes():
    assert Fault.OK not in FAILURES and Fault.LATENCY not in FAILURES
    assert Fault.CANNED not in FAILURES  # a reply_with reply, never drawn
    assert Fault.HANG in FAILURES and len(FAILURES) == len(Fault) - 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: Schedule(weights={Fault.HANG: 0.7, Fault.RESET: 0.4}),
        lambda: Schedule(weights={Fault.HANG: -0.1}),
        lambda: Schedule(loop=True),
        lambda: Schedule.failing(1.5),
        lambda: Schedule.failing(0.5, []),
    ],
)
def test_invalid_schedules_are_refused(make):
    with pytest.raises(ValueError):
        make()
