"""The heap the server holds from start-up is frozen once the warm-up is done (``gc.freeze``).

A full (generation 2) collection walks every tracked object: pygls, lsprotocol, pydantic
and the protocol models are hundreds of thousands of them, nearly all alive for the
process's life. Under analyses in flight, each such pass held the GIL 94-301 ms and
collected nothing (docs/performance.md, ``bench/health_under_load.py``), and
``keel/health`` waited behind it. Frozen objects are never scanned again; what the
requests allocate later is collected as before.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any


def freeze_after(warm_up: asyncio.Future[Any]) -> None:
    """Freeze the heap once ``warm_up`` ends (done, failed or cancelled: what loaded stays loaded)."""
    warm_up.add_done_callback(lambda _: gc.freeze())
