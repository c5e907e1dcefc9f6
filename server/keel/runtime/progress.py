"""Work-done progress: one token per operation, always ended.

With a client-supplied ``workDoneToken`` that token is used as is (LSP
client-initiated progress); otherwise, when the client supports it, a fresh
token is created with ``window/workDoneProgress/create``. Whatever happens in
the body (success, error, cancellation), ``end`` is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol


class ProgressSink(Protocol):
    async def create(self, token: str | int) -> bool:
        """Ask the client to create a token; False when it cannot."""
        ...

    def begin(self, token: str | int, title: str, message: str | None, cancellable: bool) -> None: ...

    def report(self, token: str | int, message: str | None, percentage: int | None) -> None: ...

    def end(self, token: str | int, message: str | None) -> None: ...


class Progress:
    def __init__(self, sink: ProgressSink | None, token: str | int | None) -> None:
        self._sink = sink
        self.token = token
        self.final_message: str | None = None

    def report(self, message: str | None = None, percentage: int | None = None) -> None:
        if self._sink is not None and self.token is not None:
            pct = None if percentage is None else max(0, min(100, int(percentage)))
            self._sink.report(self.token, message, pct)


@asynccontextmanager
async def work_done_progress(
    sink: ProgressSink | None,
    title: str,
    client_token: str | int | None = None,
    create_if_missing: bool = False,
    cancellable: bool = True,
) -> AsyncIterator[Progress]:
    token: str | int | None = client_token
    if sink is not None and token is None and create_if_missing:
        fresh = f"keel-{uuid.uuid4()}"
        token = fresh if await sink.create(fresh) else None
    progress = Progress(sink if token is not None else None, token)
    if sink is not None and token is not None:
        sink.begin(token, title, None, cancellable)
    try:
        yield progress
    finally:
        if sink is not None and token is not None:
            sink.end(token, progress.final_message)
