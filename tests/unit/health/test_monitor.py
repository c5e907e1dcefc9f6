from __future__ import annotations

from keel.health.monitor import HealthMonitor, derive_level
from keel.health.notifier import Coalescer
from keel.runtime.clock import FakeClock


def test_levels_follow_the_documented_rule():
    monitor = HealthMonitor()
    assert monitor.level() == "healthy"
    monitor.set("storage", "degraded", "history not saved", fix="set keel.storage.dir")
    assert monitor.level() == "degraded"
    assert "history not saved" in monitor.report().summary
    monitor.set("analysis", "down", "workers cannot start")
    assert monitor.level() == "unhealthy"
    monitor.set("analysis", "ok", "ok")
    monitor.set("storage", "ok", "ok")
    monitor.set("provider:a", "disabled", "no key")
    assert monitor.level() == "healthy"


def test_every_component_down_is_unhealthy():
    from keel.health.monitor import ComponentState

    states = [ComponentState(n, "down", "x", "t") for n in ("config", "storage")]
    assert derive_level(states) == "unhealthy"


def test_listeners_hear_status_changes_only():
    monitor = HealthMonitor()
    heard = []
    monitor.subscribe(lambda report: heard.append((report.level, report.seq)))
    monitor.set("storage", "degraded", "a")
    monitor.set("storage", "degraded", "b")  # detail only: no push
    monitor.set("storage", "ok", "fine")
    assert [h[0] for h in heard] == ["degraded", "healthy"]
    assert heard[0][1] < heard[1][1]
    assert monitor.component("storage").detail == "fine"


def test_since_changes_only_with_status():
    monitor = HealthMonitor()
    monitor.set("storage", "degraded", "a")
    since = monitor.component("storage").since
    monitor.set("storage", "degraded", "b")
    assert monitor.component("storage").since == since


class ManualTimer:
    def __init__(self) -> None:
        self.pending: list[tuple[float, object]] = []

    def __call__(self, delay, callback):
        self.pending.append((delay, callback))

    def fire(self):
        pending, self.pending = self.pending, []
        for _, callback in pending:
            callback()


def test_coalescer_sends_at_most_one_per_interval_and_always_the_last_state():
    clock = FakeClock()
    timer = ManualTimer()
    sent = []
    coalescer = Coalescer(sent.append, 0.25, clock=clock, call_later=timer)
    coalescer.push("a")  # first: immediately
    clock.advance(0.05)
    coalescer.push("b")
    coalescer.push("c")
    assert sent == ["a"] and len(timer.pending) == 1
    assert abs(timer.pending[0][0] - 0.20) < 1e-9
    clock.advance(0.20)
    timer.fire()
    assert sent == ["a", "c"]
    clock.advance(1.0)
    coalescer.push("d")
    assert sent == ["a", "c", "d"]


def test_a_component_with_parts_shows_the_worst_part_and_every_problem():
    monitor = HealthMonitor()
    monitor.set("config", "degraded", "workflows file broken", fix="fix the file", part="workflows")
    monitor.set("config", "ok", "settings valid")  # the settings part: must not hide the file
    assert monitor.component("config").status == "degraded"
    monitor.set("config", "degraded", "settings invalid", fix="fix the setting")
    config = monitor.component("config")
    assert config.detail == "settings invalid; workflows file broken"
    assert config.fix == "fix the setting fix the file"
    monitor.set("config", "ok", "settings valid")
    monitor.set("config", "ok", "workflows file valid", part="workflows")
    assert (monitor.component("config").status, monitor.component("config").detail) == (
        "ok", "settings valid")
    assert monitor.part("config", "workflows") == ("ok", "workflows file valid")
