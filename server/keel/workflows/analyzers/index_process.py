"""Parse files for the import index in a child process, off the server's GIL (issue 22 point 5).

``ast.parse`` of one editor-sized module holds the GIL for ~30 ms in one C call;
done in the server (a thread is no help), every changed file the index reads
again stalled the event loop, and ``keel/health`` p99 with 64 analyses in flight
was 74-91 ms instead of 32 ms without the index. ``FactsProcess.facts`` sends
the texts to a small child (``index_child.py``: only ``keel.advisor.workspace``
loaded, ~15 MB) and waits for the facts on a thread, which releases the GIL.

Not the analysis pool: a batch there would take a worker and queue editor
analyses behind the index; and not ``multiprocessing``, whose ``spawn`` would
import the server's main module in the child. The child is started on first use,
stopped after ``idle_s`` without work and after a file of more than
``recycle_bytes`` (a big tree leaves its heap large for good; many small ones do not). A child that dies
or answers garbage is stopped and the batch fails (``IndexParseFailed``): the
caller then proves nothing (fixes stay "unsafe"); the next batch starts a new one.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from keel.advisor.workspace import file_facts

CHILD = Path(__file__).with_name("index_child.py")
BATCH_BYTES = 4 * 1024 * 1024  # one pickle per few MB of text, so a checkout streams


class IndexParseFailed(Exception):
    """The parser process died or answered nonsense."""


class FactsProcess:
    """A lazily started parser child; ``facts`` is blocking (call it on a thread)."""

    def __init__(self, idle_s: float = 30.0, recycle_bytes: int = 1024 * 1024) -> None:
        self.idle_s, self.recycle_bytes = idle_s, recycle_bytes
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None
        self.started = 0  # children started (tests, health)

    def facts(self, items: list[tuple[str, str]]) -> list[Any]:
        """``file_facts(path, text)`` of each item, computed in the child."""
        if not items:
            return []
        found: list[Any] = []
        for batch in _batches(items):
            found += self._one_batch(batch)
        return found

    def _one_batch(self, batch: list[tuple[str, str]]) -> list[Any]:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            child = self._child or self._start()
            stdin, stdout = _pipes(child)
            try:
                pickle.dump(batch, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.flush()
                answer = pickle.load(stdout)  # noqa: S301 - our own child's answer on our own pipe
            except (OSError, EOFError, ValueError, pickle.UnpicklingError) as err:
                self._stop()
                raise IndexParseFailed(f"the index parser process failed: {err!r}") from None
            if not isinstance(answer, list) or len(answer) != len(batch):
                self._stop()
                raise IndexParseFailed("the index parser process answered nonsense")
            if max(len(text) for _, text in batch) > self.recycle_bytes:  # one big tree, not many small
                self._stop()
            else:
                self._timer = threading.Timer(self.idle_s, self.close)
                self._timer.daemon = True
                self._timer.start()
            return answer

    def _start(self) -> subprocess.Popen[bytes]:
        # -I and a neutral folder: the workspace's own modules never shadow ours
        self._child = subprocess.Popen([sys.executable, "-I", str(CHILD)], cwd=tempfile.gettempdir(),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL)
        self.started += 1
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for pipe in (child.stdin, child.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    @property
    def running(self) -> bool:
        return self._child is not None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._stop()


def _pipes(child: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert child.stdin is not None and child.stdout is not None
    return child.stdin, child.stdout


def _batches(items: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    batches: list[list[tuple[str, str]]] = [[]]
    size = 0
    for item in items:
        if batches[-1] and size + len(item[1]) > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += len(item[1])
    return batches


def in_process(items: list[tuple[str, str]]) -> list[Any]:
    """The same facts in this process (the command line, and the workers' static stage)."""
    return [file_facts(path, text) for path, text in items]
