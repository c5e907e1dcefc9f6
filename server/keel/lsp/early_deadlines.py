"""What the fast start holds while the server loads, and the deadlines that pass meanwhile.

No pygls, no pydantic: part of the fast start (``early.py``).

Every message read during start-up is held, with its receipt time, for the
loaded server, which counts deadlines from there; but it cannot answer before
it has loaded (1–2 s on a busy machine). So the fast start watches the
requests that name their own ``timeoutMs`` (the effective deadline is never
longer) and answers -32803 ``deadline.exceeded`` itself when that passes
first; the request is then not handed to the server. A request that answers its
deadline as data (``keel/runWorkflow``: a run's timeout is a ``RunResult``, which
only the run manager builds; the trait is on its spec) is left alone. A
``keel/health`` is answered before its deadline, with the "starting" report
(``early_health.py``), while ``health_ms`` is set (after ``initialize`` was
answered, before ``shutdown``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keel.errors import DeadlineExceeded, jsonrpc_code

from .early_health import ANSWER_AT, HEALTH, health_reply
from .framing import BrokenFrame, Frame
from .method_names import ANSWERS_DEADLINE_AS_DATA


@dataclass(frozen=True)
class Peeked:
    """The top of a readable message: ``msg_id`` None for a notification."""

    method: str
    msg_id: int | str | None
    params: Any
    received_at: float


def peek(item: Frame | BrokenFrame | None) -> Peeked | None:
    """Method, id and params of a JSON-RPC 2.0 message with a method and a usable id, else None."""
    if not isinstance(item, Frame):
        return None
    try:
        message = json.loads(item.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if (not isinstance(message, dict) or message.get("jsonrpc") != "2.0"
            or not isinstance(message.get("method"), str)):
        return None
    msg_id = message.get("id")
    if isinstance(msg_id, bool) or not (msg_id is None or isinstance(msg_id, int | str)):
        return None
    return Peeked(message["method"], msg_id, message.get("params"), item.received_at)


def own_deadline(message: Peeked | None) -> tuple[Any, str, float] | None:
    """(id, method, monotonic deadline) of a keel/* request that names its own ``timeoutMs``."""
    if message is None or message.msg_id is None or not message.method.startswith("keel/"):
        return None
    timeout = message.params.get("timeoutMs") if isinstance(message.params, dict) else None
    if (message.method in ANSWERS_DEADLINE_AS_DATA
            or not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
        return None
    return message.msg_id, message.method, message.received_at + timeout / 1000.0


def health_due(message: Peeked | None, configured_ms: int) -> float | None:
    """When a held ``keel/health`` gets the "starting" report: ``ANSWER_AT`` of its deadline.

    None for one whose params the server would refuse (-32602 is its answer): ``keel/health``
    takes ``whileStarting`` only (no ``timeoutMs``)."""
    if message is None or message.method != HEALTH or message.msg_id is None:
        return None
    params = message.params
    if not (params is None or (isinstance(params, dict) and set(params) <= {"whileStarting"}
                               and isinstance(params.get("whileStarting", False), bool))):
        return None
    return message.received_at + configured_ms * ANSWER_AT / 1000.0


def deadline_reply(msg_id: Any, method: str) -> dict[str, Any]:
    error = DeadlineExceeded(f"{method} did not finish within its deadline",
                             hint="The server was still starting; try again.")
    return {"jsonrpc": "2.0", "id": msg_id,
            "error": {"code": jsonrpc_code(error), "message": error.message, "data": error.to_error_data(msg_id)}}


class StartupDeadlines:
    """Messages held while loading; requests whose own deadline passes are answered and dropped."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self.held: list[Frame | BrokenFrame | None] = []
        self._deadlines: dict[int, tuple[Any, str, float]] = {}
        self._waiting: dict[int, str] = {}  # index of each keel/* request held: its method
        # keel/health's configured deadline while the fast start answers health; None: it does not.
        self.health_ms: int | None = None
        self._health: set[int] = set()  # indexes watched for a "starting" report

    def hold(self, item: Frame | BrokenFrame | None) -> Peeked | None:
        """Hold ``item`` for the server; what it is, when it is readable."""
        message = peek(item)
        watched = own_deadline(message)
        due = None if self.health_ms is None else health_due(message, self.health_ms)
        if due is not None and message is not None:
            watched = (message.msg_id, message.method, due)
            self._health.add(len(self.held))
        if watched is not None:
            self._deadlines[len(self.held)] = watched
        if message is not None and message.msg_id is not None and message.method.startswith("keel/"):
            self._waiting[len(self.held)] = message.method
        self.held.append(item)
        return message

    def next_deadline(self) -> float | None:
        return min((d[2] for d in self._deadlines.values()), default=None)

    def stop_answering_health(self) -> None:
        """``shutdown`` came: a held ``keel/health`` is the server's to answer, as any request then."""
        self.health_ms = None
        for index in list(self._health):
            self._health.discard(index)
            own = own_deadline(peek(self.held[index]))
            if own is None:
                del self._deadlines[index]
            else:
                self._deadlines[index] = own

    def answered_last(self) -> None:
        """The last message held was answered by the fast start: it is held on, not watched."""
        index = len(self.held) - 1
        self._deadlines.pop(index, None)
        self._health.discard(index)
        self._waiting.pop(index, None)

    def take(self, index: int) -> None:
        """The message at ``index`` was served before the server loaded (``early_serve.py``)."""
        self._deadlines.pop(index, None)
        self._health.discard(index)
        self._waiting.pop(index, None)
        self.held[index] = _ANSWERED

    def is_answered(self, index: int) -> bool:
        return self.held[index] is _ANSWERED

    def expire(self, now: float) -> None:
        for index, (msg_id, method, at) in list(self._deadlines.items()):
            if at > now:
                continue
            del self._deadlines[index]
            self._waiting.pop(index, None)
            if index in self._health:
                self._health.discard(index)
                waiting = {m: n for m, n in self.waiting().items() if m != HEALTH}
                self._send(health_reply(msg_id, waiting))
                self.held[index] = _ANSWERED
                continue
            self._send(deadline_reply(msg_id, method))
            self.held[index] = _ANSWERED

    def waiting(self) -> dict[str, int]:
        """The keel/* requests held and not answered yet, counted by method."""
        counts: dict[str, int] = {}
        for method in self._waiting.values():
            counts[method] = counts.get(method, 0) + 1
        return counts

    def remaining(self) -> list[Frame | BrokenFrame | None]:
        return [item for item in self.held if item is not _ANSWERED]


_ANSWERED: Any = object()
