"""Deadlines that pass while the server is still loading (no pygls: part of the fast start).

A request read during start-up carries its receipt time, and the loaded
server counts its deadline from there; but it cannot answer before it has
loaded (1–2 s on a busy machine). So the fast start watches the requests that
name their own ``timeoutMs`` (the effective deadline is never longer) and
answers -32803 ``deadline.exceeded`` itself when that passes first; the
request is then not handed to the server. ``keel/runWorkflow`` is left alone:
a run's timeout is a ``RunResult``, which only the run manager builds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from keel.errors import DeadlineExceeded, jsonrpc_code

from .framing import BrokenFrame, Frame

ANSWERED_BY_THE_RUN = frozenset({"keel/runWorkflow"})


def own_deadline(item: Frame | BrokenFrame | None) -> tuple[Any, str, float] | None:
    """(id, method, monotonic deadline) of a keel/* request that names its own ``timeoutMs``."""
    if not isinstance(item, Frame):
        return None
    try:
        message = json.loads(item.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    method, msg_id, params = message.get("method"), message.get("id"), message.get("params")
    timeout = params.get("timeoutMs") if isinstance(params, dict) else None
    if (not isinstance(method, str) or not method.startswith("keel/") or method in ANSWERED_BY_THE_RUN
            or not isinstance(msg_id, int | str) or isinstance(msg_id, bool)
            or not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
        return None
    return msg_id, method, item.received_at + timeout / 1000.0


def deadline_reply(msg_id: Any, method: str) -> dict[str, Any]:
    error = DeadlineExceeded(f"{method} did not finish within its deadline",
                             hint="The server was still starting; try again.")
    return {"jsonrpc": "2.0", "id": msg_id,
            "error": {"code": jsonrpc_code(error), "message": error.message, "data": error.to_error_data(msg_id)}}


class StartupDeadlines:
    """Requests held while loading; those whose own deadline passes are answered and dropped."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self.held: list[Frame | BrokenFrame | None] = []
        self._deadlines: dict[int, tuple[Any, str, float]] = {}

    def hold(self, item: Frame | BrokenFrame | None) -> None:
        watched = own_deadline(item)
        if watched is not None:
            self._deadlines[len(self.held)] = watched
        self.held.append(item)

    def next_deadline(self) -> float | None:
        return min((d[2] for d in self._deadlines.values()), default=None)

    def expire(self, now: float) -> None:
        for index, (msg_id, method, at) in list(self._deadlines.items()):
            if at <= now:
                self._send(deadline_reply(msg_id, method))
                self.held[index] = _ANSWERED
                del self._deadlines[index]

    def remaining(self) -> list[Frame | BrokenFrame | None]:
        return [item for item in self.held if item is not _ANSWERED]


_ANSWERED: Any = object()
