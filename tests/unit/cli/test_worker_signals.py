"""Ctrl-C reaches the whole process group: the worker fork server must not die of it.

The fork server imports the warm modules first; a SIGINT in that window used
to kill it with a KeyboardInterrupt traceback (and with it every worker).
The scenario runs in a fresh interpreter so that the fork server is started
(and warmed) inside the test, with a warm module that waits for the test.
On the spawn start method (Windows, macOS) the worker itself imports the warm
modules: it must survive a SIGINT in that window the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

WARM_MODULE = textwrap.dedent("""
    import os, pathlib, time
    here = pathlib.Path(__file__).parent
    (here / "importing.pid").write_text(str(os.getpid()))
    while not (here / "go").exists():  # the test signals us now, then says go
        time.sleep(0.01)
""")

SCENARIO = textwrap.dedent("""
    import asyncio, os, sys
    from keel.runtime.workers import WorkerPool

    async def main():
        pool = WorkerPool(size=1, warm_imports=("slow_warm",), start_method=sys.argv[1])
        try:
            print(await pool.run(os.getpid), flush=True)
        finally:
            pool.close()

    asyncio.run(main())
""")


def _wait_for(path, process) -> str:
    while not path.exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    while not (text := path.read_text()):
        time.sleep(0.01)
    return text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_a_sigint_while_the_fork_server_warms_up_does_not_kill_it(tmp_path, start_method):
    (tmp_path / "slow_warm.py").write_text(WARM_MODULE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    process = subprocess.Popen([sys.executable, "-c", SCENARIO, start_method], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The fork server (forkserver), or the worker itself (spawn), importing slow_warm.
        importing = int(_wait_for(tmp_path / "importing.pid", process))
        assert importing != process.pid
        os.kill(importing, signal.SIGINT)  # what a terminal's Ctrl-C does to it
        (tmp_path / "go").write_text("")
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert process.returncode == 0, err
    answered_by = int(out.strip())
    if start_method == "forkserver":
        assert answered_by not in (process.pid, importing)  # a worker forked from the server
    else:
        assert answered_by == importing  # the spawned worker that took the SIGINT
