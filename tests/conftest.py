"""Every test runs with its own user data, state and cache folders (platformdirs reads XDG_*)."""

from __future__ import annotations

import pytest

from keel.entry_hooks import structlog_to_stderr


def pytest_configure(config):
    # The test process stands in for the `keel` command, which points structlog at stderr
    # first thing: a command invoked through typer's CliRunner would otherwise log onto the
    # stdout its test reads as JSON.
    structlog_to_stderr()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
