"""What a previous estimate learnt about the tree, so the next one costs only stat calls.

Two maps, both revalidated by ``stat`` on every use, so a stale entry is never
trusted even if a file-watch event is lost:

- per directory: the directory's ``mtime_ns`` (it changes when an entry is
  added, removed or renamed), the signatures of every ``.gitignore`` that
  applied, and the outcome of listing it (kept files, kept subdirectories,
  ignored and symlinked entry counts). Unchanged → no ``scandir``, no matching.
- per file: ``(size, mtime_ns)`` → outcome and token count. Unchanged → no read.

"Racily clean" entries are not stored: a file or directory whose mtime is
within ``racy_window_ns`` of the scan could change again inside the same
timestamp tick without its stat changing (git has the same rule).

``invalidate(paths)`` (wired to ``workspace/didChangeWatchedFiles``) drops
entries early and marks the whole-tree memos (``memo.py``) that contain a
changed path. Once the client's watcher is registered (``watching``), a memo
is trusted without a single ``stat`` until an event names one of its paths;
the rules that keep this honest are in ``memo.py``. All methods are
thread-safe: scans run in worker threads while invalidations arrive on the
event loop.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pathspec import GitIgnoreSpec

from .ignore import FileSig, compile_gitignore
from .memo import MAX_DIRTY_PATHS, TreeKey, TreeMemo, mark_dirty, note_events

PlanT = TypeVar("PlanT")

MAX_TREES = 16
MAX_PLANS = 256
MAX_VERDICT_SETS = 256

OUTCOME_OK = "ok"
OUTCOME_BINARY = "binary"
OUTCOME_LARGE = "large"

# (size, mtime_ns, result, method, ino): ``result`` is the ScannedFile of a readable
# text file (reused as is on a hit, so a warm scan allocates nothing per file)
# or None for a binary one. Large files are never stored: stat alone decides.
# The inode catches a file replaced by another of the same size and mtime.
FileEntry = tuple[int, int, Any, str, int]

DEFAULT_RACY_WINDOW_NS = 2_000_000_000
DEFAULT_MAX_FILES = 500_000


@dataclass(frozen=True, slots=True)
class DirRecord:
    mtime_ns: int
    ignore_sigs: tuple[FileSig, ...]  # every .gitignore that applied, root first
    has_gitignore: bool
    files: tuple[str, ...]  # kept regular files, sorted
    subdirs: tuple[str, ...]  # kept subdirectories, sorted
    ignored: int
    symlinks: int


class EstimateCache:
    def __init__(
        self,
        *,
        racy_window_ns: int = DEFAULT_RACY_WINDOW_NS,
        max_files: int = DEFAULT_MAX_FILES,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.racy_window_ns = racy_window_ns
        self.clock = clock  # how old a trusted memo is (memo.TRUST_TTL_NS)
        self.max_files = max_files
        self._lock = threading.Lock()
        self._dirs: dict[str, DirRecord] = {}
        self._files: dict[str, FileEntry] = {}
        self._specs: dict[FileSig, GitIgnoreSpec | None] = {}
        self._trees: dict[TreeKey, TreeMemo] = {}
        self._plans: dict[tuple[int, Any], Any] = {}
        self._verdicts: dict[tuple[FileSig, ...], dict[tuple[str, bool], bool]] = {}
        # Set once the client registered workspace/didChangeWatchedFiles for us.
        self.watching = False
        self._event_seq = 0  # bumped by every invalidate
        # The paths of recent invalidations, so that what a scan learnt before an event
        # arrived during it is not stored as current (events at or before _log_floor are gone).
        self._log: deque[tuple[int, list[str]]] = deque()
        self._logged = 0
        self._log_floor = 0

    # -- reads on the hot path: plain dict lookups, safe under the GIL --------
    def dir_record(self, path: str) -> DirRecord | None:
        return self._dirs.get(path)

    def file_entry(self, path: str) -> FileEntry | None:
        return self._files.get(path)

    def file_lookup(self) -> Callable[[str], FileEntry | None]:
        """The bound lookup, for loops over thousands of files."""
        return self._files.get

    @property
    def file_count(self) -> int:
        return len(self._files)

    @property
    def dir_count(self) -> int:
        return len(self._dirs)

    def tree_memo(self, key: TreeKey) -> TreeMemo | None:
        return self._trees.get(key)

    @property
    def event_seq(self) -> int:
        return self._event_seq

    def claim_dirty(self, memo: TreeMemo) -> tuple[int, frozenset[str], frozenset[str]]:
        """The event count and a snapshot of ``memo``'s changed paths, taken together."""
        with self._lock:
            return self._event_seq, frozenset(memo.dirty_dirs), frozenset(memo.dirty_files)

    def set_watching(self, watching: bool) -> None:
        """The client's watcher was registered (True) or may have lost events (False)."""
        with self._lock:
            self.watching = watching
            if not watching:
                for memo in self._trees.values():
                    memo.trusted = False

    def _changed_since(self, seq: int) -> set[str] | None:
        """Paths named by events after ``seq``; None when the log no longer reaches back. Locked."""
        if seq == self._event_seq:
            return set()
        if seq < self._log_floor:
            return None
        return {path for at, paths in self._log if at > seq for path in paths}

    def store_tree(self, key: TreeKey, memo: TreeMemo, seq: int) -> None:
        """Keep ``memo``, built from what the disk held at event ``seq``, with later events noted."""
        with self._lock:
            memo.trusted = memo.trusted and self.watching
            changed = self._changed_since(seq)
            if changed is None or (changed and not mark_dirty(memo, changed)):
                return
            if memo.racy and not memo.trusted:
                return
            if len(self._trees) >= MAX_TREES:
                self._trees.clear()
            self._trees[key] = memo

    def retrust(self, key: TreeKey, memo: TreeMemo, seq: int) -> None:
        """``memo`` was just re-stat-ed unchanged: the watcher may vouch for it again."""
        with self._lock:
            if self.watching and self._event_seq == seq and self._trees.get(key) is memo:
                memo.trusted = True
                memo.validated_ns = self.clock()

    def plan(self, scan_token: int, stage: Hashable, compute: Callable[[], PlanT]) -> PlanT:
        """A call plan memoised per (scan result, stage): planning 10,000 files shows at 50 ms."""
        key = (scan_token, stage)
        plan = self._plans.get(key)
        if plan is None:
            plan = compute()
            with self._lock:
                if len(self._plans) >= MAX_PLANS:
                    self._plans.clear()
                self._plans[key] = plan
        return plan

    def is_racy(self, mtime_ns: int, now_ns: int) -> bool:
        return now_ns - mtime_ns < self.racy_window_ns

    # -- writes ---------------------------------------------------------------
    def store_dir(self, path: str, record: DirRecord, seq: int) -> None:
        """Keep a listing made at event ``seq``, unless an event since may have changed it."""
        with self._lock:
            changed = self._changed_since(seq)
            if changed is None or (changed and (
                    path in changed or any(os.path.dirname(p) == path for p in changed))):
                return
            self._dirs[path] = record

    def forget_dir(self, path: str) -> None:
        with self._lock:
            self._dirs.pop(path, None)

    def store_files(self, entries: Iterable[tuple[str, FileEntry]], seq: int) -> None:
        """Keep what reads made at event ``seq`` found, except for files named by an event since."""
        with self._lock:
            changed = self._changed_since(seq)
            if changed is None:
                return
            if changed:
                entries = [(path, entry) for path, entry in entries if path not in changed]
            self._files.update(entries)
            if len(self._files) > self.max_files:
                # A simple bound: a tree this large is rescanned rather than kept.
                self._files.clear()

    def verdicts(self, sigs: tuple[FileSig, ...]) -> dict[tuple[str, bool], bool]:
        """Ignore verdicts by (name, is folder) for one set of by-name rules (``ignore.names_decide``)."""
        found = self._verdicts.get(sigs)
        if found is None:
            with self._lock:
                if len(self._verdicts) >= MAX_VERDICT_SETS:
                    self._verdicts.clear()
                found = self._verdicts.setdefault(sigs, {})
        return found

    def spec(self, sig: FileSig) -> GitIgnoreSpec | None:
        try:
            return self._specs[sig]  # None is a known answer too: no rules in that file
        except KeyError:
            pass
        spec = compile_gitignore(sig[0])
        with self._lock:
            stale = [key for key in self._specs if key[0] == sig[0]]
            for key in stale:
                del self._specs[key]
            self._specs[sig] = spec
        return spec

    def invalidate(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Forget what is known about ``paths`` (files or folders, created/changed/deleted).

        Returns how many entries were dropped. A path's parent directory record
        goes too (its listing may have changed); a changed ``.gitignore`` drops
        every directory record beneath its folder, a known folder everything
        beneath it. One pass over the cache per call, however many paths: a
        burst of 100,000 events must not cost 100,000 passes.
        """
        normalized = [normalize(raw) for raw in paths]
        dropped = 0
        dir_roots: set[str] = set()
        file_roots: set[str] = set()
        with self._lock:
            self._event_seq += 1
            for path in normalized:
                dropped += self._files.pop(path, None) is not None
                was_dir = self._dirs.pop(path, None) is not None
                dropped += was_dir
                parent = os.path.dirname(path)
                dropped += self._dirs.pop(parent, None) is not None
                if os.path.basename(path) == ".gitignore":
                    dir_roots.add(parent)
                elif was_dir:  # a folder deleted, renamed or replaced
                    dir_roots.add(path)
                    file_roots.add(path)
            dropped += _drop_beneath(self._dirs, dir_roots)
            dropped += _drop_beneath(self._files, file_roots)
            note_events(self._trees, normalized)
            self._log.append((self._event_seq, normalized))
            self._logged += len(normalized)
            while self._logged > MAX_DIRTY_PATHS:
                at, paths = self._log.popleft()
                self._logged -= len(paths)
                self._log_floor = at
        return dropped

    def clear(self) -> None:
        with self._lock:
            self._dirs.clear()
            self._files.clear()
            self._specs.clear()
            self._verdicts.clear()
            self._trees.clear()
            self._plans.clear()
            self._log_floor = self._event_seq  # a scan running across a clear keeps nothing


MANY_ROOTS = 64  # above this, one ancestor walk per key beats one startswith per root


def _drop_beneath(entries: dict[str, Any], roots: set[str]) -> int:
    """Delete the keys of ``entries`` strictly beneath any of ``roots``; the count deleted."""
    if not roots or not entries:
        return 0
    if len(roots) <= MANY_ROOTS:
        prefixes = tuple(root + os.sep for root in roots)
        doomed = [key for key in entries if key.startswith(prefixes)]
    else:
        doomed = [key for key in entries if _has_ancestor_in(key, roots)]
    for key in doomed:
        del entries[key]
    return len(doomed)


def _has_ancestor_in(path: str, roots: set[str]) -> bool:
    parent = os.path.dirname(path)
    while True:
        if parent in roots:
            return True
        above = os.path.dirname(parent)
        if above == parent:
            return False
        parent = above


def normalize(raw: str | os.PathLike[str]) -> str:
    """``os.path.abspath``, skipped for a path that is plainly absolute and normal already.

    Event paths come absolute from the client; a burst of 100,000 spent most
    of its time normalising them again on the event loop.
    """
    path = os.fspath(raw)
    if (path.startswith(os.sep) and not path.endswith(os.sep) and "/." not in path
            and "//" not in path and (os.altsep is None or os.altsep not in path)):
        return path
    return os.path.abspath(path)


def cache_key(path: Path | str) -> str:
    return os.path.abspath(os.fspath(path))
