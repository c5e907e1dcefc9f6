"""``StorageRecorder``: the SQLite ``RunRecorder``. Callers only enqueue; one thread writes.

The request path pays for a snapshot and a deque append (microseconds). The
writer thread owns the connection, writes batches in transactions, retries
transient faults with backoff and keeps events queued (bounded, drop-oldest,
counted) while the disk is unusable, so no failure of the disk ever reaches a run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import structlog

from keel.records import EstimateRecord, ModelCallRecord, RunRecord

from .boundary import (
    STORAGE_FAILURES,
    ConnectionFactory,
    SchemaTooNew,
    StorageError,
    default_connect,
    translate,
)
from .events import (
    Event,
    apply_events,
    estimate_event,
    model_call_event,
    record_drops,
    run_finished_event,
    run_started_event,
    utc_iso,
)
from .health import HealthListener, StorageHealth, StorageStatus
from .history_file import HistoryFile, safe_log
from .loss import annotate, file_id
from .metrics import record_writes, request_event, server_start_event
from .owner import ProcessOwner, this_process

log = structlog.get_logger(__name__)
RecordT = TypeVar("RecordT")


_log = safe_log(log)

DEFAULT_MAX_QUEUED = 100_000
DEFAULT_BATCH_SIZE = 2_000


class StorageRecorder:
    """Implements ``keel.records.RunRecorder``; the writer thread starts at once.

    ``before_write`` runs at the storage boundary before every write transaction:
    a fault test makes it raise ``OSError(ENOSPC)`` to simulate a full disk.
    Listeners (given here, so none misses the first open, or added later) are called
    from the writer thread on every status change; an asyncio
    consumer should hop back with ``loop.call_soon_threadsafe``.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        connect: ConnectionFactory = default_connect,
        before_write: Callable[[], None] | None = None,
        max_queued: int = DEFAULT_MAX_QUEUED,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_initial_s: float = 0.05,
        retry_max_s: float = 5.0,
        listeners: Iterable[HealthListener] = (),
        owner: ProcessOwner | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        # The process its runs belong to (tests pass another process's identity).
        self.owner = owner or this_process()
        self._before_write = before_write
        self._max_queued = max_queued
        self._batch_size = batch_size
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._queue: deque[Event] = deque()
        self._inflight = 0
        self._dropped = 0
        self._unpersisted_drops = 0
        self._written = 0
        self._closing = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._first_open_done = threading.Event()
        # Wakes a failing writer before its backoff ends (flush and close ask to retry now).
        self._retry_now = threading.Event()
        self._close_deadline = float("inf")
        self._file = HistoryFile(self.db_path, connect, self.owner, _log)
        self._status: StorageStatus = "ok"
        self._detail = "history is saved"
        self._fix: str | None = None
        self._last_error: str | None = None
        self._listeners: list[HealthListener] = list(listeners)
        self._thread = threading.Thread(target=self._run, name="keel-storage-writer", daemon=True)
        self._thread.start()

    # -- RunRecorder: enqueue only -------------------------------------------------

    def run_started(self, run: RunRecord) -> None:
        self._enqueue(lambda record: run_started_event(record, self.owner), run)

    def model_call(self, call: ModelCallRecord) -> None:
        self._enqueue(model_call_event, call)

    def run_finished(self, run: RunRecord) -> None:
        self._enqueue(lambda record: run_finished_event(record, self.owner), run)

    def estimate_made(self, estimate: EstimateRecord) -> None:
        self._enqueue(estimate_event, estimate)

    def request_done(self, method: str, failed: bool, at: str | None = None) -> None:
        """One keel/* request answered (``failed``: with an error) for the reliability metrics."""
        self._enqueue(lambda _: request_event(method, failed, utc_iso(at)), None)

    def server_started(self, config_error: bool, at: str | None = None) -> None:
        """This server started, with (``config_error``) or without invalid configuration."""
        self._enqueue(lambda _: server_start_event(config_error, utc_iso(at)), None)

    def _enqueue(self, make: Callable[[RecordT], Event], record: RecordT) -> None:
        try:
            event = make(record)
        except Exception as exc:  # noqa: BLE001
            # A malformed record is counted as a drop; it never raises into a run.
            _log("warning", "storage.record_rejected", error=repr(exc))
            with self._lock:
                self._count_drops(1)
            return
        with self._lock:
            if self._closing:
                self._count_drops(1)
                return
            if len(self._queue) >= self._max_queued:
                self._queue.popleft()
                self._count_drops(1)
            self._queue.append(event)
        self._wake.set()

    def _count_drops(self, n: int) -> None:
        self._dropped += n
        self._unpersisted_drops += n

    # -- status, flush, close ------------------------------------------------------

    def health(self) -> StorageHealth:
        with self._lock:
            return self._health_locked()

    def _health_locked(self) -> StorageHealth:
        return StorageHealth(self._status, self._detail, self._fix,
                             len(self._queue) + self._inflight, self._dropped, self._last_error)

    def add_listener(self, listener: HealthListener) -> None:
        self._listeners.append(listener)

    @property
    def interrupted_runs(self) -> int:
        """Runs of dead processes this recorder marked ``interrupted`` when it first opened."""
        return self._file.interrupted_runs

    @property
    def written(self) -> int:
        """Events committed to the database by this recorder."""
        with self._lock:
            return self._written

    def flush(self, timeout: float = 5.0) -> bool:
        """Block until every queued event is written; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        self._retry_now.set()
        if not self._first_open_done.wait(timeout):
            return False
        with self._idle:
            return self._idle.wait_for(lambda: not self._queue and not self._inflight,
                                       max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float = 5.0) -> bool:
        """Drain (retrying faults until ``timeout``), stop the writer; False if events were lost."""
        with self._lock:
            self._closing = True
            self._close_deadline = time.monotonic() + timeout
            # A recorder being replaced (storage.dir changed) no longer speaks for storage.
            self._listeners = []
        self._stop.set()
        self._wake.set()
        self._retry_now.set()
        self._thread.join(timeout + 1.0)
        with self._lock:
            left = len(self._queue) + self._inflight
        if left:
            log.warning("storage.close_lost_events", events=left)
        return left == 0 and not self._thread.is_alive()

    # -- the writer thread ---------------------------------------------------------

    def _run(self) -> None:
        delay = self._retry_initial_s
        try:
            self._open_at_start()
            while True:
                try:
                    drained = self._drain()
                except Exception as exc:  # noqa: BLE001  a bug must not kill the only writer: retry later
                    drained = False
                    self._internal_error(exc)
                if drained:
                    delay = self._retry_initial_s
                    if self._stop.is_set():
                        return
                    self._wake.wait()
                    self._wake.clear()
                    continue
                if self._stop.is_set() and time.monotonic() >= self._close_deadline:
                    return
                # While failing, new events do not trigger retries: only time (or close) does.
                if self._stop.is_set():
                    # Closing: wait out the backoff, but never past the close deadline.
                    self._retry_now.wait(min(delay, max(0.0, self._close_deadline - time.monotonic())))
                    self._retry_now.clear()
                else:
                    self._retry_now.wait(delay)
                    self._retry_now.clear()
                delay = min(delay * 2, self._retry_max_s)
        finally:
            self._file.close()

    def _open_at_start(self) -> None:
        """Open (and mark interrupted runs) before any event arrives; a fault shows in health."""
        try:
            self._file.connection()
            # Said even when unchanged: listeners may still show the previous recorder's state.
            self._set_status("ok", None, announce=True)
        except SchemaTooNew as exc:
            self._set_status("down", StorageError(exc.message, kind="persistent", fix=exc.fix,
                                                  code=exc.code))
        except StorageError as exc:
            self._set_status("degraded" if exc.kind == "transient" else "down", exc)
        except Exception as exc:  # noqa: BLE001  a bug must not kill the only writer
            self._internal_error(exc)
        finally:
            self._first_open_done.set()

    def _internal_error(self, exc: Exception) -> None:
        _log("exception", "storage.writer_failed", error=repr(exc))
        self._set_status("down", StorageError(
            f"history not saved: internal error {type(exc).__name__}", kind="persistent",
            code="storage.internal", fix="report this bug; history is kept in memory meanwhile"))

    def _drain(self) -> bool:
        """Write until the queue is empty (True) or a fault stops us (False)."""
        while True:
            with self._lock:
                if not self._queue:
                    self._idle.notify_all()
                    return True
                count = min(len(self._queue), self._batch_size)
                batch = [self._queue.popleft() for _ in range(count)]
                self._inflight = count
                drops = self._unpersisted_drops
            try:
                fault = self._write(batch, drops)
            except BaseException:
                self._requeue(batch)
                raise
            if fault is not None and fault.kind == "rejected":
                # Find the event the database refuses; write the others.
                fault = self._write_one_by_one(batch, drops)
            elif fault is not None:
                self._requeue(batch)
            if fault is not None:
                self._set_status("degraded" if fault.kind == "transient" else "down", fault)
                return False
            notice = self._file.notice
            self._set_status("ok" if notice is None else "degraded", notice)

    def _write_one_by_one(self, batch: list[Event], drops: int) -> StorageError | None:
        for index, event in enumerate(batch):
            fault = self._write([event], drops if index == 0 else 0)
            if fault is None:
                continue
            if fault.kind != "rejected":
                self._requeue(batch[index:])
                return fault
            self._discard([event], fault)
        return None

    def _discard(self, events: list[Event], fault: StorageError) -> None:
        _log("warning", "storage.event_rejected", error=fault.message, events=len(events))
        with self._lock:
            self._count_drops(len(events))
            self._inflight = max(0, self._inflight - len(events))

    def _write(self, batch: list[Event], drops: int) -> StorageError | None:
        """One transaction at the boundary; returns the translated fault, or None on success."""
        try:
            conn = self._file.connection()
            if self._file.moved():
                conn = self._file.recreate(conn, [])
            if self._before_write is not None:
                self._before_write()
            committed_to = self._file.file_id
            conn.execute("BEGIN IMMEDIATE")
            try:
                apply_events(conn, annotate(batch, self._file.affected))
                if drops:
                    record_drops(conn, utc_iso()[:10], drops)
                record_writes(conn, utc_iso()[:10], len(batch))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if file_id(self.db_path) != committed_to:
                # Committed into a file no one can open any more: write it again, in a new one.
                self._file.recreate(conn, batch)
                return self._write(batch, drops)
        except SchemaTooNew as exc:
            return StorageError(exc.message, kind="persistent", fix=exc.fix, code=exc.code)
        except StorageError as exc:
            return exc
        except STORAGE_FAILURES as exc:
            fault = translate(exc, self.db_path)
            if fault.kind != "transient":
                self._file.close()
            return fault
        with self._lock:
            self._inflight = max(0, self._inflight - len(batch))
            self._unpersisted_drops -= drops
            self._written += len(batch)
        return None

    def _requeue(self, events: list[Event]) -> None:
        """Put failed events back in front; beyond the bound the oldest go, counted."""
        with self._lock:
            self._inflight = 0
            self._queue.extendleft(reversed(events))
            excess = len(self._queue) - self._max_queued
            for _ in range(max(0, excess)):
                self._queue.popleft()
            self._count_drops(max(0, excess))

    def _set_status(self, status: StorageStatus, fault: StorageError | None, *,
                    announce: bool = False) -> None:
        with self._lock:
            changed = status != self._status or (
                fault is not None and fault.code != self._last_error)
            if fault is None:
                self._status, self._detail, self._fix = status, "history is saved", None
            else:
                self._status, self._detail, self._fix = status, fault.message, fault.fix
                self._last_error = fault.code
            snapshot = self._health_locked()
        if fault is not None and changed:
            _log("warning", "storage.unavailable", status=status, detail=fault.message,
                 code=fault.code)
        elif changed:
            _log("info", "storage.recovered")
        if changed or announce:
            for listener in list(self._listeners):
                try:
                    listener(snapshot)
                except Exception:  # noqa: BLE001  a broken listener must not stop the writer
                    _log("exception", "storage.listener_failed")
