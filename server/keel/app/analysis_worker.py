"""What a fresh analysis worker process does before it is marked warm.

Importing the engine is not enough: the wire models build their validators on
first use (``defer_build``), which costs a few hundred ms in a new process. A
tiny analysis at start moves that cost off the first real request, so a worker
that replaces a killed one is really ready. The fix engine (libcst) and the
static stages' batch functions are imported here too, so the first
keel/generateFix and the first run do not pay for them in their worker.
"""

from __future__ import annotations

import keel.advisor.fixes  # noqa: F401  (libcst: forked workers get the fix engine ready)
import keel.workflows.stages_static  # noqa: F401  (the static stages' batch functions)
from keel.advisor.engine import analyze_source


def warm() -> None:
    analyze_source("def warm(x=None):\n    return x\n", "file:///keel-warm-up.py")


# The worker pool's fork server imports this module once and forks every worker
# from it: warming here means each forked worker starts with built validators.
warm()
