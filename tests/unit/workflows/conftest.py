"""Fixtures for workflow tests: a workspace and an app wired to in-process fakes."""

from __future__ import annotations

import pytest

from keel.app.state import KeelApp
from keel.records import MemoryRecorder
from keel.resilience import BreakerRegistry, BudgetRegistry, ResponseCache
from keel.workflows.stages_llm import Resilience

from .workflow_fakes import BUGGY, RecordingNotifier, _no_wait, _thread_cpu, provider_set


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "buggy.py").write_text(BUGGY)
    (root / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    return root


@pytest.fixture
def make_app(workspace):
    apps: list[KeelApp] = []

    def make(*providers, trusted: bool = True) -> KeelApp:
        built = provider_set(*providers)
        app = KeelApp(notifier=RecordingNotifier(), workspace_folders=[workspace],
                      workspace_trusted=trusted, provider_factory=lambda settings, env: built,
                      run_cpu=_thread_cpu, recorder=MemoryRecorder(),
                      resilience=Resilience(BreakerRegistry(), BudgetRegistry(), ResponseCache(64),
                                            sleep=_no_wait))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
