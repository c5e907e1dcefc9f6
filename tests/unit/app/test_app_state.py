"""KeelApp's state: typed, injected through the constructor, owned by one app."""

from __future__ import annotations

import subprocess
import sys

from keel.app import run_ops
from keel.app.provider_health import breakers
from keel.app.state import KeelApp
from keel.lsp.admission import admission_of
from keel.lsp.server import KeelServer, _shutdown_app
from keel.providers.factory import ProviderSet
from keel.records import MemoryRecorder


def test_two_apps_share_no_breakers_budgets_or_cache(tmp_path):
    first, second = KeelApp(workspace_folders=[tmp_path]), KeelApp(workspace_folders=[tmp_path])
    try:
        one, two = run_ops.resilience_of(first), run_ops.resilience_of(second)
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
        assert run_ops.provider_lease(app).providers is built
        assert run_ops.recorder_of(app) is recorder
    finally:
        app.close()


def test_without_storage_or_a_recorder_runs_are_kept_in_memory_once(tmp_path):
    app = KeelApp(workspace_folders=[tmp_path])
    try:
        kept = run_ops.recorder_of(app)
        assert isinstance(kept, MemoryRecorder) and run_ops.recorder_of(app) is kept
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
    run_ops.provider_lease(app)
    await _shutdown_app(KeelServer(app))
    assert ClosingProviders.closed == 1


def test_provider_health_at_initialized_does_not_load_the_run_modules(tmp_path):
    # It runs on the event loop: loading the workflow engine there would stall every answer.
    script = (
        "import sys\n"
        "from keel.app.state import KeelApp\n"
        "from keel.app.provider_health import install_provider_health\n"
        f"app = KeelApp(workspace_folders=[{str(tmp_path)!r}], worker_pool_size=1)\n"
        "install_provider_health(app)\n"
        "app.close()\n"
        "print(sorted(m for m in ('keel.app.run_ops', 'keel.workflows.stages_llm') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_runs_trip_the_breakers_health_reads(tmp_path):
    app = KeelApp(workspace_folders=[tmp_path])
    try:
        health_view = breakers(app)
        assert run_ops.resilience_of(app).breakers is health_view
    finally:
        app.close()
