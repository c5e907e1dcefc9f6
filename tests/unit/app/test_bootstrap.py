"""keel serve starts the analysis workers' fork server before the server loads (issue 22)."""

from __future__ import annotations

from keel.app import bootstrap
from keel.runtime import workers


def test_the_apps_pool_forks_from_the_fork_server_that_bootstrap_starts():
    app = bootstrap.create_app(worker_pool_size=1)
    try:
        # The fork server reads its preload once: started with another list, the pool's
        # workers would lack (or import for themselves) the engine.
        assert app.workers._warm_imports == bootstrap.WORKER_IMPORTS
    finally:
        app.close()


def test_the_fork_server_is_started_with_the_workers_imports(monkeypatch):
    started: list[tuple[str, ...]] = []
    monkeypatch.setattr(workers, "start_fork_server", lambda imports: started.append(imports) or True)
    assert bootstrap.start_analysis_workers() is True
    assert started == [bootstrap.WORKER_IMPORTS]


def test_a_fork_server_that_cannot_start_is_left_to_the_pool(monkeypatch):
    def no_processes(imports):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "start_fork_server", no_processes)
    assert bootstrap.start_analysis_workers() is False  # the pool reports it on first use


def test_no_fork_server_where_workers_are_spawned(monkeypatch):
    monkeypatch.setattr(workers, "default_start_method", lambda platform=None: "spawn")
    assert workers.start_fork_server(bootstrap.WORKER_IMPORTS) is False
