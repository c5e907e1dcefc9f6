"""Issue 22 point 2: the first worker forks once the engine is warm; the fix engine
(libcst) and the static stages come after, while the fork server or the worker is idle."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keel.app.analysis_worker as analysis_worker


def run_isolated(script: str) -> dict:
    done = subprocess.run([sys.executable, "-I", "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, check=True, timeout=120, cwd="/")
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_engine_is_warm_without_the_fix_engine_and_idle_steps_import_the_rest():
    seen = run_isolated("""
        import json, sys
        import keel.app.analysis_worker as worker
        before = {name: name in sys.modules for name in ("libcst", "keel.advisor.fixes",
                                                          "keel.workflows.stages_static", "keel.runtime.worker_process",
                                                          "structlog")}
        steps = 1
        while worker.idle_step():
            steps += 1
        print(json.dumps({"before": before, "steps": steps,
                          "after": [name in sys.modules for name in worker.LATER]}))
    """)
    assert seen["before"] == {"libcst": False, "keel.advisor.fixes": False,
                              "keel.workflows.stages_static": False, "keel.runtime.worker_process": True,
                              "structlog": False}
    assert all(seen["after"]) and seen["steps"] <= len(analysis_worker.LATER)


def test_a_worker_runs_its_idle_steps_only_while_no_request_is_waiting(tmp_path: Path):
    (tmp_path / "idle_module.py").write_text(textwrap.dedent("""
        STEPS = []
        IDLE_S = 0.0
        def idle_step():
            STEPS.append(len(STEPS))
            return True  # always more: only a request may interrupt it
        def report():
            return list(STEPS)
    """))
    seen = run_isolated(f"""
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from keel.runtime.worker_process import worker_main
        import idle_module

        class Conn:
            polls = 0
            sent = []
            def poll(self, timeout):
                self.polls += 1
                return self.polls > 3  # idle three times, then a request is waiting
            def recv(self):
                if self.sent[-1][0] == "ok":
                    raise EOFError  # the parent went away
                return idle_module.report, ()
            def send(self, message):
                self.sent.append(message)

        conn = Conn()
        worker_main(conn, ("idle_module",))
        print(json.dumps(conn.sent))
    """)
    assert seen == [["ready", None], ["ok", [0, 1, 2]]]


def test_the_fork_server_imports_a_step_each_time_it_has_been_idle(monkeypatch):
    from multiprocessing import forkserver

    monkeypatch.setattr(forkserver, "selectors", forkserver.selectors)  # restored after the test
    steps: list[int] = []
    monkeypatch.setattr(analysis_worker, "idle_step", lambda: steps.append(1) or len(steps) < 3)
    monkeypatch.setattr(analysis_worker, "IDLE_S", 0.0)
    analysis_worker._import_later_between_forks()
    ours, theirs = socket.socketpair()
    with ours, theirs, forkserver.selectors.DefaultSelector() as selector:
        selector.register(ours, forkserver.selectors.EVENT_READ)
        assert selector.select(0) == [] and steps == [1, 1, 1]  # idle: three steps, then the wait
        theirs.send(b"x")  # a fork request: answered, no step
        assert len(selector.select(0)) == 1 and steps == [1, 1, 1]


def test_a_worker_forked_from_the_warm_fork_server_does_not_warm_again():
    seen = run_isolated("""
        import json
        import keel.app.analysis_worker as worker  # warms on import, as in the fork server
        calls = []
        worker.analyze_source = lambda *args: calls.append(args)
        worker.warm()  # what a forked worker's loop calls: it inherited the warm engine
        print(json.dumps(len(calls)))
    """)
    assert seen == 0
