from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from keel.storage import HistoryReader, StorageRecorder

WRITER = """
import sys, itertools
from pathlib import Path
from keel.storage import StorageRecorder
from keel.records import ModelCallRecord, RunRecord

recorder = StorageRecorder(Path(sys.argv[1]), batch_size=50)
recorder.run_started(RunRecord("done", "review", "a.py", "running", "2026-03-10T12:00:00Z"))
recorder.run_finished(RunRecord("done", "review", "a.py", "succeeded", "2026-03-10T12:00:00Z",
                                duration_ms=900, actual_usd=0.5, baseline_usd=2.0))
recorder.run_started(RunRecord("live", "review", "b.py", "running", "2026-03-10T12:01:00Z"))
assert recorder.flush(10)
print("READY", flush=True)
for n in itertools.count():
    recorder.model_call(ModelCallRecord("live", "s", "anthropic", "m", "capable", 10, 5, 0.001,
                                        20, 1, False, "closed", "succeeded",
                                        at="2026-03-10T12:01:01Z"))
"""


def _calls(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM model_calls").fetchone()[0]
    finally:
        conn.close()


def test_kill_9_mid_write_keeps_history_and_marks_the_run_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("READY"):
                break
        # let it commit a good number of batches, then kill it while it is writing
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 2_000 and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = _calls(path)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert seen >= 2_000

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert _calls(path) >= seen  # every committed batch survived

    recorder = StorageRecorder(path)
    assert recorder.flush(10)
    assert recorder.interrupted_runs == 1
    assert recorder.close(5)
    with HistoryReader(path) as reader:
        runs = {run.run_id: run for run in reader.list_runs()}
    assert runs["done"].status == "succeeded"
    assert runs["done"].actual_usd == 0.5
    assert runs["live"].status == "interrupted"
