"""The whole-tree memo: the fastest warm path, for an estimate repeated on an unchanged tree.

A full walk records every folder's ``mtime_ns``, every input file's
``(size, mtime_ns, ino)`` and every ``.gitignore`` signature it relied on.
What the next scan of the same target with the same rules does first depends
on whether the client's file watcher feeds the cache (``EstimateCache.watching``):

- **Trusted** (watcher registered, no event arrived while the memo was built,
  no overflow, younger than ``TRUST_TTL_NS``): events that name a path in the
  tree are recorded on the memo (``dirty_dirs``, ``dirty_files``). No dirty
  path: the previous result is returned without one system call. Some: the
  scanner walks its in-memory index, re-lists only the dirty folders, re-reads
  only the dirty files, and trusts everything else (``scanner.py``).
- **Stat fallback** (no watcher: the CLI, a client that refused the
  registration; or trust lost): first re-stat exactly what the walk relied on,
  in one tight loop; when nothing moved the previous result is returned as is.
  Any difference falls back to the per-folder cache in ``cache.py`` (folder
  mtimes say which listings changed; a file is re-read only when its
  ``(size, mtime_ns, ino)`` changed).

The correctness rule: an estimate never uses content older than the last
event for that path, nor content whose stat changed when no watcher vouches
for it. Trust is dropped (fallback for that memo) when a burst of events
exceeds ``MAX_DIRTY_PATHS`` (the client's watcher may itself have overflowed),
when an event arrives during the walk that built the memo, and after
``TRUST_TTL_NS`` (a bound on how long an event the client silently dropped can
matter). Events for paths outside a memo's target leave it alone; an event on
a folder above the target drops the memo; a ``.gitignore`` event above it
forces a re-walk of the ignore chain. Folders VS Code does not watch by
default (``UNWATCHED_DIRS``, see ``files.watcherExclude``) are always stat-checked.
A walk that saw an unreadable entry or a file changing under it is not memoised.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .ignore import FileSig

REVALIDATE_STOP_EVERY = 2048
MAX_DIRTY_PATHS = 10_000
TRUST_TTL_NS = 300 * 10**9
UNWATCHED_DIRS = frozenset({"node_modules"})

# (target, workspace root, suffixes, max file bytes, token method)
TreeKey = tuple[str, str, tuple[str, ...] | None, int, str]


@dataclass(frozen=True, slots=True)
class Trust:
    """What the watcher says changed since a trusted memo: everything else is taken as is."""

    dirty_dirs: frozenset[str]
    dirty_files: frozenset[str]
    vouched: bool = True  # False: trust lost, but the dirty files are still re-read


NO_TRUST = Trust(frozenset(), frozenset(), vouched=False)


@dataclass(slots=True, eq=False)
class TreeMemo:
    dirs: tuple[tuple[str, int], ...]  # (folder, mtime_ns)
    files: tuple[tuple[str, int, int, int], ...]  # (path, size, mtime_ns, ino) of every input file
    ignores: tuple[FileSig, ...]
    result: Any  # the ScanResult of the walk, shared read-only
    top: str = ""
    trusted: bool = False  # the watcher vouches for every path not marked dirty below
    racy: bool = False  # holds content too recent for a stat to vouch for: never stat-revalidated
    validated_ns: int = field(default_factory=time.monotonic_ns)
    dirty_dirs: set[str] = field(default_factory=set)
    dirty_files: set[str] = field(default_factory=set)
    spans: dict[str, Any] = field(default_factory=dict)  # per folder, see spans.py

    def trust_expired(self, now_ns: int) -> bool:
        return now_ns - self.validated_ns > TRUST_TTL_NS


def note_events(trees: dict[TreeKey, TreeMemo], paths: list[str]) -> None:
    """Record changed ``paths`` (absolute, normalised) on the memos they touch. Caller holds the lock."""
    for key, memo in list(trees.items()):
        if not mark_dirty(memo, paths):
            del trees[key]


def mark_dirty(memo: TreeMemo, paths: list[str] | set[str]) -> bool:
    """Note ``paths`` on ``memo``; False when the memo can no longer be used."""
    if not memo.trusted:
        return False  # the stat fallback gains nothing from a memo events have touched
    if len(paths) > MAX_DIRTY_PATHS:
        return False  # too many to track (the client's watcher may have overflowed too)
    top = memo.top
    inside = top + os.sep
    for path in paths:
        if path == top or path.startswith(inside):
            memo.dirty_files.add(path)
            memo.dirty_dirs.add(path)  # re-listed if it is a folder
            memo.dirty_dirs.add(os.path.dirname(path))  # an entry came, went or changed kind
        elif top.startswith(path + os.sep):
            return False  # a folder above the target moved or went
        elif os.path.basename(path) == ".gitignore" and top.startswith(os.path.dirname(path)):
            memo.dirty_dirs.add(top)  # the ignore chain above the target changed
    return len(memo.dirty_files) <= MAX_DIRTY_PATHS


def unchanged(memo: TreeMemo, check_stop: Callable[[], None]) -> bool:
    """True when every recorded stat is still the same; ``check_stop`` may raise."""
    stat = os.stat
    lstat = os.lstat
    try:
        for folder, mtime_ns in memo.dirs:
            if stat(folder).st_mtime_ns != mtime_ns:
                return False
        for path, size, mtime_ns in memo.ignores:
            st = stat(path)
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return False
        for index, (path, size, mtime_ns, ino) in enumerate(memo.files):
            st = lstat(path)  # a file swapped for a symlink must not pass
            if st.st_mtime_ns != mtime_ns or st.st_size != size or st.st_ino != ino:
                return False
            if index % REVALIDATE_STOP_EVERY == 0:
                check_stop()
    except OSError:
        return False
    return True
