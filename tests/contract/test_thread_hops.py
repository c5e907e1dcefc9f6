"""Every hop onto a thread goes through keel.runtime.threads, which abandons on cancel.

A thread hop awaited without abandon_on_cancel pins its request (and a thread
token) for as long as the call blocks: a FIFO read would hold them for ever.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "keel"
HOP = re.compile(r"to_thread\.run_sync\(")


def test_thread_hops_go_through_runtime_threads():
    offenders = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
                 if path.relative_to(PACKAGE).as_posix() != "runtime/threads.py"
                 and HOP.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
