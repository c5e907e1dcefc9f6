"""Two processes appending to one rotating keel.log (two editor windows, the CLI beside the
editor) lose no line and never rotate each other's fresh file (issue 21, point 7).

With a plain RotatingFileHandler each process rotates on its own view: one renames
keel.log away while the other still writes to the renamed file, then rotates again
from there, so files are rotated early, backups are pushed past ``backupCount`` and
whole files of lines are deleted.
"""

from __future__ import annotations

import json
import subprocess
import sys

LINES = 1500
MAX_BYTES = 16_000
BACKUPS = 40  # room for every line twice over: nothing may be deleted by rotation

WRITER = r"""
import logging, sys
from pathlib import Path
from keel.observability import logging as keel_logging

keel_logging.configure_logging(log_dir=Path(sys.argv[1]))
handler = keel_logging._state["file"]
handler.maxBytes, handler.backupCount = int(sys.argv[3]), int(sys.argv[4])  # rotate often
log = logging.getLogger("writer")
name = sys.argv[2]
sys.stdin.readline()  # both start together
for i in range(int(sys.argv[5])):
    log.info("line %s %06d %s", name, i, "x" * 60)
"""


def test_two_processes_share_one_rotating_log_without_losing_lines(tmp_path):
    log_dir = tmp_path / "logs"
    writers = [subprocess.Popen(
        [sys.executable, "-I", "-c", WRITER, str(log_dir), name, str(MAX_BYTES), str(BACKUPS),
         str(LINES)], cwd=tmp_path, stdin=subprocess.PIPE)
        for name in ("a", "b")]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write(b"go\n")
        writer.stdin.close()
    assert [writer.wait(120) for writer in writers] == [0, 0]

    files = sorted(log_dir.glob("keel.log*"))
    assert all(not f.name.endswith(".lock") or f.stat().st_size == 0 for f in files)
    logs = [f for f in files if not f.name.endswith(".lock")]
    seen: dict[str, set[int]] = {"a": set(), "b": set()}
    for path in logs:
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)["event"]  # every line whole
            if event.startswith("line "):
                _, name, number, _ = event.split(" ")
                seen[name].add(int(number))
    missing = {name: LINES - len(numbers) for name, numbers in seen.items()}
    assert missing == {"a": 0, "b": 0}, f"lines lost over {len(logs)} files"
    # One writer rotated at a time: every file but the newest was full when it was rotated.
    rotated = [f for f in logs if f.name != "keel.log"]
    assert all(f.stat().st_size >= MAX_BYTES - 400 for f in rotated), [
        (f.name, f.stat().st_size) for f in rotated]
    assert len(logs) < BACKUPS
