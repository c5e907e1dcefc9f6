"""The operation table: wire method → application operation, from the method table.

Each request in ``keel.protocol.methods.REQUESTS`` names the coroutine that serves it,
``operation="keel.app.cost_ops:estimate_cost"``; a contract test checks each one resolves to
an async function of that name. Operations are imported on first use: the server must answer
``initialize`` fast, and most features (libcst, SQLite, provider SDK glue) are not needed
until a request asks for them.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from keel.protocol.methods import REQUESTS
from keel.runtime.threads import in_thread

Operation = Callable[[Any, Any], Awaitable[Any]]


def _lazy(reference: str) -> Operation:
    """The operation ``"package.module:function"`` names, imported by its first call."""
    module, _, name = reference.partition(":")
    resolved: list[Operation] = []
    loading: list[asyncio.Future[Any]] = []
    # Callers still passing the import, in arrival order: each one's future is done once it
    # has passed. Operations that order their callers by arrival (a newer estimate supersedes
    # an older one) need that order kept, also for a caller that arrives just as the import
    # ends, before the earlier waiters have resumed.
    passing: list[asyncio.Future[None]] = []

    async def through_import() -> None:
        ahead = passing[-1] if passing else None
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        passing.append(mine)
        try:
            # On a thread: an import on the loop would block it for the import's whole
            # length, and longer while the warm-up's thread holds the module's import lock.
            if not loading:
                loading.append(asyncio.ensure_future(
                    in_thread(importlib.import_module, module)))
            try:
                loaded = await asyncio.shield(loading[0])
            except Exception:
                loading.clear()  # a failed import is retried by the next call
                raise
            if ahead is not None:
                await asyncio.shield(ahead)
            if not resolved:
                resolved.append(getattr(loaded, name))
        finally:
            mine.set_result(None)
            passing.remove(mine)

    async def operation(app: Any, params: Any) -> Any:
        if not resolved or passing:
            await through_import()
        return await resolved[0](app, params)

    operation.__qualname__ = reference
    return operation


OPS: dict[str, Operation] = {
    spec.name: _lazy(spec.operation) for spec in REQUESTS if spec.operation is not None
}
