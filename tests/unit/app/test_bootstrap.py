"""keel serve starts the analysis workers' fork server before the server loads (issue 22)."""

from __future__ import annotations

import subprocess
import sys

from keel.app import bootstrap
from keel.runtime import fork_server


def test_the_apps_pool_forks_from_the_fork_server_that_bootstrap_starts():
    app = bootstrap.create_app(worker_pool_size=1)
    try:
        # The fork server reads its preload once: started with another list, the pool's
        # workers would lack (or import for themselves) the engine.
        assert app.workers._warm_imports == bootstrap.WORKER_IMPORTS
    finally:
        app.close()


def test_the_fork_server_is_started_with_the_workers_imports(monkeypatch):
    monkeypatch.setattr(bootstrap, "spare_core", lambda: True)
    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(fork_server, "start_fork_server", lambda imports: started.append(imports) or True)
    assert bootstrap.start_analysis_workers() is True
    assert started == [bootstrap.WORKER_IMPORTS]


def test_a_fork_server_that_cannot_start_is_left_to_the_pool(monkeypatch):
    def no_processes(imports):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(bootstrap, "spare_core", lambda: True)
    monkeypatch.setattr(fork_server, "start_fork_server", no_processes)
    assert bootstrap.start_analysis_workers() is False  # the pool reports it on first use


def test_no_fork_server_where_workers_are_spawned(monkeypatch):
    monkeypatch.setattr(fork_server, "default_start_method", lambda platform=None: "spawn")
    assert fork_server.start_fork_server(bootstrap.WORKER_IMPORTS) is False


def test_on_a_busy_machine_the_fork_server_is_left_to_initialized(monkeypatch):
    # Beside the server's own loading it would take that loading's CPU, not a spare core.
    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(fork_server, "start_fork_server", lambda imports: started.append(imports) or True)
    monkeypatch.setattr(bootstrap.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(bootstrap.os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    assert bootstrap.spare_core() is False
    assert bootstrap.start_analysis_workers() is False and started == []
    monkeypatch.setattr(bootstrap.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert bootstrap.spare_core() is True
    assert bootstrap.start_analysis_workers() is True and started == [bootstrap.WORKER_IMPORTS]


def test_without_a_load_average_a_core_counts_as_spare(monkeypatch):
    def unavailable():
        raise OSError("no load average")

    monkeypatch.setattr(bootstrap.os, "getloadavg", unavailable)
    assert bootstrap.spare_core() is True


def test_a_forked_worker_loads_neither_the_pools_asyncio_nor_structlog():
    # Issue 22: the fork server's warm-up is on the way to the first analysis at start;
    # the pool's own imports (asyncio, structlog, rich: ~110 ms) are not a worker's.
    checked = subprocess.run([sys.executable, "-I", "-c", (
        "import asyncio\n"
        "from keel.app.bootstrap import WORKER_IMPORTS\n"
        "from keel.runtime.workers import WorkerPool\n"
        "pool = WorkerPool(1, warm_imports=WORKER_IMPORTS, start_method='forkserver')\n"
        "probe = \"[m in __import__('sys').modules for m in ('keel.advisor.engine', 'asyncio', 'structlog', 'rich')]\"\n"
        "print(asyncio.run(pool.run(eval, probe)))\n"
        "pool.close()\n")], capture_output=True, text=True, timeout=90, check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "[True, False, False, False]"


def test_the_fork_servers_first_import_installs_the_entry_hooks():
    # The fork server has no main of Keel's own: its preload list is its entry, so the
    # structlog its idle imports load (for the workers forked later) logs to stderr, without rich.
    assert bootstrap.WORKER_IMPORTS[0] == "keel.runtime.worker_entry"
    checked = subprocess.run([sys.executable, "-I", "-c", (
        "import sys\n"
        "import keel.runtime.worker_entry\n"
        "import structlog\n"
        "assert 'rich' not in sys.modules\n"
        "structlog.get_logger('w').warning('to stderr')\n")], capture_output=True, text=True,
        timeout=90, check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "" and "to stderr" in checked.stderr
