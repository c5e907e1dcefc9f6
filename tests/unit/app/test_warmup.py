"""The warm-up after `initialized`: provider clients, modules and validators, off the loop."""

from __future__ import annotations

import asyncio
import sys
import threading
from types import SimpleNamespace

from keel.app import ops, warmup
from keel.app.state import KeelApp
from keel.protocol.health import HealthParams
from keel.providers.factory import ProviderSet
from keel.records import MemoryRecorder


class WarmableProvider:
    id = "warm"
    kind = "openai"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.warmed_on_loop_thread: list[bool] = []

    async def warm(self) -> None:
        self.warmed_on_loop_thread.append(threading.current_thread() is threading.main_thread())
        if self.fail:
            raise RuntimeError("no network")


def app_with(*providers, tmp_path) -> KeelApp:
    built = ProviderSet(providers=list(providers), statuses=[])
    return KeelApp(workspace_folders=[tmp_path], workspace_trusted=True,
                   provider_factory=lambda settings, env: built, recorder=MemoryRecorder())


async def test_warm_up_builds_every_provider_client_and_loads_the_fix_engine(tmp_path):
    first, second = WarmableProvider(fail=True), WarmableProvider()
    app = app_with(first, second, tmp_path=tmp_path)
    try:
        await warmup.warm_up(app)  # a provider that cannot warm does not stop the others
    finally:
        app.close()
    assert first.warmed_on_loop_thread == [True] and second.warmed_on_loop_thread == [True]
    assert "keel.advisor.fixes" in sys.modules and "keel.app.run_ops" in sys.modules


async def test_a_failing_step_is_skipped_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "WARM_MODULES", ("keel.no_such_module", "keel.app.run_ops"))
    provider = WarmableProvider()
    app = app_with(provider, tmp_path=tmp_path)
    try:
        await warmup.warm_up(app)
    finally:
        app.close()
    assert provider.warmed_on_loop_thread == [True]  # the steps after the failure still ran


async def test_operations_are_imported_on_a_thread(monkeypatch, tmp_path):
    seen = []
    real = ops.importlib.import_module

    def recording(name: str):
        seen.append((name, threading.current_thread() is threading.main_thread()))
        return real(name)

    monkeypatch.setattr(ops.importlib, "import_module", recording)
    operation = ops._lazy("keel.app.health_ops:health")
    app = KeelApp(workspace_folders=[tmp_path])
    try:
        await operation(app, HealthParams())
    finally:
        app.close()
    assert seen == [("keel.app.health_ops", False)]


async def test_callers_of_an_operation_still_loading_resume_in_arrival_order(tmp_path):
    order = []
    operation = ops._lazy("keel.app.health_ops:health")
    app = KeelApp(workspace_folders=[tmp_path])

    async def call(n: int) -> None:
        await operation(app, HealthParams())
        order.append(n)

    try:
        tasks = [asyncio.ensure_future(call(n)) for n in range(5)]
        await asyncio.gather(*tasks)
    finally:
        app.close()
    assert order == [0, 1, 2, 3, 4]


async def test_a_caller_arriving_as_the_import_ends_still_goes_after_the_earlier_ones(monkeypatch):
    entered: list[int] = []

    async def op(app, params) -> None:
        entered.append(params)

    imported: asyncio.Future = asyncio.get_running_loop().create_future()
    monkeypatch.setattr(ops, "in_thread", lambda fn, *args: imported)
    operation = ops._lazy("keel.app.fake_ops:op")
    early = [asyncio.ensure_future(operation(None, n)) for n in range(3)]
    await asyncio.sleep(0)  # the three wait for the import
    imported.set_result(SimpleNamespace(op=op))
    late = asyncio.ensure_future(operation(None, 3))  # runs before the three resume
    await asyncio.gather(*early, late)
    assert entered == [0, 1, 2, 3]


async def test_each_step_waits_until_the_requests_in_flight_are_answered(monkeypatch, tmp_path):
    # The file the editor restored and its estimate, received while the server loaded, are
    # served first: a step holding the GIL on its thread would slow them.
    seen_in_flight: list[int] = []
    monkeypatch.setattr(warmup, "WARM_MODULES", ("keel.app.health_ops",))
    monkeypatch.setattr(warmup, "_import", lambda name: seen_in_flight.append(app.registry.snapshot().total))
    monkeypatch.setattr(warmup, "_build_validators", lambda: seen_in_flight.append(app.registry.snapshot().total))
    monkeypatch.setattr(warmup, "YIELD_POLL_S", 0.001, raising=False)
    monkeypatch.setattr(warmup, "YIELD_MAX_S", 3600.0, raising=False)  # never reached: the request ends first
    app = app_with(tmp_path=tmp_path)
    polls = 0
    looked = asyncio.Event()
    snapshot = app.registry.snapshot

    def counted():
        nonlocal polls
        polls += 1
        if polls >= 5:
            looked.set()
        return snapshot()

    monkeypatch.setattr(app.registry, "snapshot", counted)
    try:
        with app.registry.track(1, "keel/analyze"):
            warming = asyncio.ensure_future(warmup.warm_up(app))
            # The warm-up looked several times and waited, or (without yielding) finished.
            await asyncio.wait([asyncio.ensure_future(looked.wait()), warming],
                               return_when=asyncio.FIRST_COMPLETED)
        await warming
    finally:
        app.close()
    assert seen_in_flight == [0, 0]


async def test_a_request_that_stays_in_flight_delays_the_warm_up_only_so_long(monkeypatch, tmp_path):
    steps: list[str] = []
    monkeypatch.setattr(warmup, "WARM_MODULES", ("keel.app.health_ops",))
    monkeypatch.setattr(warmup, "_import", steps.append)
    monkeypatch.setattr(warmup, "_build_validators", lambda: steps.append("validators"))
    monkeypatch.setattr(warmup, "YIELD_POLL_S", 0.001)
    monkeypatch.setattr(warmup, "YIELD_MAX_S", 0.005)
    app = app_with(tmp_path=tmp_path)
    try:
        with app.registry.track(1, "keel/runWorkflow"):  # a long run: never ends during the test
            await warmup.warm_up(app)
    finally:
        app.close()
    assert steps == ["keel.app.health_ops", "validators"]
