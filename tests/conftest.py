"""Every test runs with its own user data, state and cache folders (platformdirs reads XDG_*),
and the session leaves no temp folder of Keel's behind."""

from __future__ import annotations

import multiprocessing.util
import os
import shutil
import tempfile
from pathlib import Path

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


@pytest.fixture(scope="session", autouse=True)
def _no_temp_folders_left_behind(tmp_path_factory):
    """Fail the session when a test (or a process it started) leaves a ``keel-*`` temp folder.

    The session gets a temp dir of its own (TMPDIR, inherited by every subprocess), so
    what other test runs on the machine make at the same time cannot be blamed on it.
    pytest's own ``tmp_path`` folders stay where pytest keeps and prunes them.
    """
    tmp_path_factory.getbasetemp()
    private = Path(tempfile.mkdtemp(prefix="pytest-keel-temp-"))
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = None  # recomputed from TMPDIR on next use
    try:
        yield private
    finally:
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved
        tempfile.tempdir = None
        left = sorted(entry.name for entry in private.iterdir() if entry.name.startswith("keel-"))
        # The rest goes at exit (the pymp-* folders of killed worker processes among it), after
        # multiprocessing removes this process's own (priority -100), so it finds it in place.
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(private,),
                                      kwargs={"ignore_errors": True}, exitpriority=-101)
    assert not left, f"tests left {len(left)} temp folder(s) behind: {', '.join(left[:10])}"
