"""Worker start methods: forkserver on Linux, spawn on Windows and macOS, both run here."""

from __future__ import annotations

import multiprocessing
import os
import textwrap

import pytest

from keel.advisor.engine import analyze_source
from keel.runtime.workers import WorkerPool, default_start_method

SOURCE = textwrap.dedent("""
    def tangled(a, b, c):
        if a:
            if b:
                if c:
                    for i in range(a):
                        while b:
                            b -= 1
                            if i and c:
                                return i
        return None
""")


@pytest.mark.parametrize(("platform", "method"), [
    ("linux", "forkserver"), ("win32", "spawn"), ("darwin", "spawn"), ("freebsd14", "forkserver"),
])
def test_each_platform_gets_a_start_method_it_has(platform, method):
    assert default_start_method(platform) == method


def test_the_default_pool_uses_this_platforms_method():
    pool = WorkerPool(size=1)
    try:
        assert pool.start_method == default_start_method()
        assert pool.start_method in multiprocessing.get_all_start_methods()
    finally:
        pool.close()


def test_a_start_method_the_platform_lacks_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # Windows
    with pytest.raises(ValueError, match="'forkserver' does not exist"):
        WorkerPool(size=1, start_method="forkserver")


@pytest.mark.timeout(90)
async def test_a_spawned_pool_runs_an_analysis_and_returns_its_result():
    pool = WorkerPool(size=1, warm_imports=("keel.app.analysis_worker",), start_method="spawn")
    try:
        # A spawned worker is our own child (a forkserver worker is the fork server's).
        assert await pool.run(os.getppid) == os.getpid()
        remote = await pool.run(analyze_source, SOURCE, "file:///tangled.py")
        local = analyze_source(SOURCE, "file:///tangled.py")
        assert remote == local
        assert remote.findings  # the nesting is reported: a real analysis ran
    finally:
        pool.close()


async def test_a_forkserver_worker_is_the_fork_servers_child():
    pool = WorkerPool(size=1, start_method="forkserver")
    try:
        assert await pool.run(os.getppid) != os.getpid()
    finally:
        pool.close()
