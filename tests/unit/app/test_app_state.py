"""KeelApp's state: typed, injected through the constructor, owned by one app."""

from __future__ import annotations

import subprocess
import sys

import pytest

from keel.app import services
from keel.app.history_ops import start_storage
from keel.app.services import breakers
from keel.app.state import KeelApp
from keel.errors import InternalError
from keel.lsp.admission import admission_of
from keel.lsp.server import KeelServer, _shutdown_app
from keel.providers.factory import ProviderSet
from keel.records import MemoryRecorder, RunRecord
from keel.storage.reader import HistoryReader


def test_two_apps_share_no_breakers_budgets_or_cache(tmp_path):
    first, second = KeelApp(workspace_folders=[tmp_path]), KeelApp(workspace_folders=[tmp_path])
    try:
        one, two = services.resilience_of(first), services.resilience_of(second)
        assert one.breakers is not two.breakers and one.budgets is not two.budgets
        assert one.cache is not two.cache
        one.breakers.get("anthropic", "m").record_failure()
        assert [s.name for s in one.breakers.snapshots()] and not two.breakers.snapshots()
        # The health components read the same breakers the runs trip.
        assert breakers(first) is one.breakers
        assert admission_of(first) is admission_of(first) is not admission_of(second)
    finally:
        first.close()
        second.close()


def test_injected_collaborators_are_the_ones_used(tmp_path):
    built = ProviderSet(providers=[], statuses=[])
    recorder = MemoryRecorder()
    app = KeelApp(workspace_folders=[tmp_path], workspace_trusted=True,
                  provider_factory=lambda settings, env: built, recorder=recorder)
    try:
        assert services.provider_lease(app).providers is built
        assert services.recorder_of(app) is recorder
    finally:
        app.close()


def test_without_storage_or_a_recorder_runs_are_kept_in_memory_once(tmp_path):
    app = KeelApp(workspace_folders=[tmp_path])
    try:
        kept = services.recorder_of(app)
        assert isinstance(kept, MemoryRecorder) and services.recorder_of(app) is kept
    finally:
        app.close()


class ClosingProviders(ProviderSet):
    closed = 0

    async def aclose_all(self) -> None:
        ClosingProviders.closed += 1


async def test_shutdown_closes_the_current_provider_clients(tmp_path):
    built = ClosingProviders(providers=[], statuses=[])
    app = KeelApp(workspace_folders=[tmp_path], workspace_trusted=True,
                  provider_factory=lambda settings, env: built)
    services.provider_lease(app)
    await _shutdown_app(KeelServer(app))
    assert ClosingProviders.closed == 1


def test_what_initialized_installs_does_not_load_the_run_modules(tmp_path):
    # It runs on the event loop: loading the workflow engine there would stall every answer.
    # The services module serves both, so the run engine stays out of it until a run.
    script = (
        "import asyncio, sys\n"
        "from keel.app.state import KeelApp\n"
        "from keel.app.history_ops import start_storage\n"
        "from keel.app.provider_health import install_provider_health\n"
        "from keel.app.telemetry import install_telemetry\n"
        "import keel.app.reliability_ops, keel.app.warmup\n"
        f"app = KeelApp(workspace_folders=[{str(tmp_path)!r}], worker_pool_size=1)\n"
        "async def initialized():\n"
        "    start_storage(app)\n"
        "    install_provider_health(app)\n"
        "    install_telemetry(app)\n"
        "    await app.aclose()\n"
        "asyncio.run(initialized())\n"
        "print(sorted(m for m in ('keel.app.run_ops', 'keel.workflows.runs',\n"
        "                         'keel.workflows.stages_llm') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


class RecordingTelemetry:
    def __init__(self) -> None:
        self.shutdowns: list[float] = []

    def shutdown(self, timeout_s: float = 1.0) -> None:
        self.shutdowns.append(timeout_s)


async def test_aclose_closes_everything_the_app_owns(tmp_path):
    built = ClosingProviders(providers=[], statuses=[])
    app = KeelApp(workspace_folders=[tmp_path], workspace_trusted=True, worker_pool_size=1,
                  provider_factory=lambda settings, env: built)
    app.apply_settings({"storage": {"dir": str(tmp_path / "store")}}, "settings")
    start_storage(app)
    services.provider_lease(app)
    telemetry = app.telemetry = RecordingTelemetry()
    assert app.storage is not None
    app.storage.run_started(RunRecord(run_id="r1", workflow="summarize", target="a.py",
                                      status="running", started_at="2026-12-01T10:00:00Z"))
    closed_before = ClosingProviders.closed

    await app.aclose(budget_s=5.0)

    assert ClosingProviders.closed == closed_before + 1  # the providers' HTTP connections
    assert telemetry.shutdowns == [5.0]  # the exporter, flushed within the budget
    with HistoryReader(app.storage.db_path) as reader:  # the history, drained to disk
        assert [r.run_id for r in reader.list_runs()] == ["r1"]
    with pytest.raises(InternalError):  # the worker processes
        await app.workers.run(len, "x")


def test_the_runs_trip_the_breakers_health_reads(tmp_path):
    app = KeelApp(workspace_folders=[tmp_path])
    try:
        health_view = breakers(app)
        assert services.resilience_of(app).breakers is health_view
    finally:
        app.close()
