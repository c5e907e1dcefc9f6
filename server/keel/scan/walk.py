"""The walk behind ``scanner.scan``: listing folders, checking stats, reading what changed.

Split from ``scanner.py`` (which holds the rules and the memo decisions) to keep
both readable; the hot loops are inlined on purpose, see the comments there.
"""

from __future__ import annotations

import os
import stat as stat_module
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel.errors import DeadlineExceeded

from .cache import OUTCOME_LARGE, OUTCOME_OK, DirRecord, EstimateCache, FileEntry
from .ignore import (
    ALWAYS_SKIPPED_DIRS,
    GITIGNORE,
    FileSig,
    IgnoreChain,
    IgnoreLevel,
    by_name,
    gitignore_sig,
    ignored_by,
    is_ignored,
    names_decide,
)
from .memo import NO_TRUST, UNWATCHED_DIRS, Trust
from .reader import ReadOutcome, read_and_count, read_pool
from .results import ScannedFile, ScanResult
from .spans import Spans, near_changes
from .tokens import HEURISTIC_METHOD

Sigs = tuple[FileSig, ...]  # the .gitignore files a folder's rules came from

STOP_CHECK_EVERY = 256
READ_BATCH = 512
FIRST_INPUT_BATCH = 16  # first_input_only: stop reading soon after one readable input

_PLACEHOLDER = ScannedFile("", -1, -1)


@dataclass(slots=True)
class _Pending:
    path: str
    rel: str
    index: int  # position of the placeholder in ScanResult.files
    size: int  # as the walk's stat saw it
    mtime_ns: int
    ino: int


class Stopper:
    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self._should_stop = should_stop

    def check(self) -> None:
        if self._should_stop is not None and self._should_stop():
            raise DeadlineExceeded(
                "The cost estimate did not finish within its deadline.",
                hint="Narrow the target or raise settings.timeouts.estimateCostMs.",
            )


class Walk:
    def __init__(self, workspace_root: Path, suffixes: tuple[str, ...] | None,
                 cache: EstimateCache, max_file_bytes: int, stopper: Stopper,
                 read_workers: int, first_input_only: bool = False) -> None:
        self.root = os.path.abspath(workspace_root)
        self.suffixes = suffixes
        self.cache = cache
        self.max_file_bytes = max_file_bytes
        self.stopper = stopper
        self.read_workers = read_workers
        self.first_input_only = first_input_only
        self.result = ScanResult()
        self.pending: list[_Pending] = []
        self.now_ns = time.time_ns()
        self.seq = cache.event_seq  # what the cache learns is as of this event
        # With a watcher, a racily clean entry is safe in the memo: a change in the same
        # timestamp tick still sends an event, and a file named by an event is re-read.
        self.watched = cache.watching
        self.method = HEURISTIC_METHOD
        # What the result depends on, for the whole-tree memo (memo.py).
        self.memo_ok = True
        self.saw_racy = False  # the memo may then be reused only while the watcher vouches for it
        self.trace_dirs: list[tuple[str, int]] = []
        self.trace_files: list[tuple[str, int, int, int]] = []
        self.trace_ignores: set[FileSig] = set()
        self.spans = Spans(None)

    # -- files -----------------------------------------------------------
    def add_file(self, path: str, rel: str, st: os.stat_result, reread: bool = False,
                 looked_up: bool = False) -> None:
        """Count one input file: from the cache when its stat is unchanged, else queue a read.

        ``reread``: an event named the file; its stat may not have moved yet
        (same timestamp tick), so the cache is not consulted.
        """
        result = self.result
        if st.st_size > self.max_file_bytes:
            result.skipped_large += 1
            return
        entry = None if reread or looked_up else self.cache.file_entry(path)
        if (entry is not None and entry[0] == st.st_size and entry[1] == st.st_mtime_ns
                and entry[4] == st.st_ino and entry[3] == self.method
                and self.reusable(entry[2], rel)):
            result.cached_files += 1
            if entry[2] is None:
                result.skipped_binary += 1
            else:
                result.files.append(entry[2])
                result.bytes += entry[0]
            return
        self.pending.append(_Pending(path, rel, len(result.files), st.st_size, st.st_mtime_ns,
                                     st.st_ino))
        result.files.append(_PLACEHOLDER)  # filled in by read_pending

    @staticmethod
    def reusable(scanned: ScannedFile | None, rel: str) -> bool:
        # A cache shared by two workspace roots must not leak the other's relative path.
        return scanned is None or scanned.rel_path == rel

    def read_pending(self) -> None:
        pending, self.pending = self.pending, []
        result = self.result
        to_store: list[tuple[str, FileEntry]] = []
        dropped: set[int] = set()
        batch_size = FIRST_INPUT_BATCH if self.first_input_only else READ_BATCH
        found = len(result.files) > len(pending)  # a cache hit already gave a readable file
        for start in range(0, len(pending), batch_size):
            if found and self.first_input_only:  # the rest is not read: a partial result
                dropped.update(item.index for item in pending[start:])
                self.memo_ok = False
                break
            self.stopper.check()
            batch = pending[start:start + batch_size]
            paths = [p.path for p in batch]
            if self.read_workers > 1 and len(batch) > 8:
                outcomes: Iterator[ReadOutcome | None] = read_pool().map(read_and_count, paths,
                                                      [self.max_file_bytes] * len(paths))
            else:
                outcomes = (read_and_count(p, self.max_file_bytes) for p in paths)
            for item, outcome in zip(batch, outcomes, strict=True):
                if outcome is None:
                    result.skipped_unreadable += 1
                    dropped.add(item.index)
                    self.memo_ok = False
                    continue
                kind, tokens, size, mtime_ns, ino = outcome
                scanned = None
                if kind == OUTCOME_OK:
                    found = True
                    scanned = ScannedFile(item.rel, size, tokens)
                    result.files[item.index] = scanned
                    result.bytes += size
                else:
                    dropped.add(item.index)
                    if kind == OUTCOME_LARGE:
                        result.skipped_large += 1
                    else:
                        result.skipped_binary += 1
                if (size, mtime_ns, ino) != (item.size, item.mtime_ns, item.ino):
                    self.memo_ok = False  # changed between the walk's stat and the read
                if kind == OUTCOME_LARGE:
                    continue
                if self.cache.is_racy(mtime_ns, self.now_ns):
                    self.memo_ok = self.memo_ok and self.watched
                    self.saw_racy = True
                else:
                    to_store.append((item.path, (size, mtime_ns, scanned, self.method, ino)))
        if dropped:  # placeholders sit at the end: rebuild only from the first one dropped
            first = min(dropped)
            result.files[first:] = [f for i, f in enumerate(result.files[first:], first)
                                    if i not in dropped]
        self.cache.store_files(to_store, self.seq)

    def wants(self, name: str) -> bool:
        return self.suffixes is None or name.endswith(self.suffixes)

    # -- folders ----------------------------------------------------------
    def rel_of(self, path: str) -> str:
        rel = os.path.relpath(path, self.root)
        return "" if rel == "." else rel.replace(os.sep, "/") + "/"

    def ancestor_chain(self, target_dir: str) -> tuple[IgnoreChain, Sigs]:
        """The ignore levels of the folders above ``target_dir``, from the workspace root.

        When the target (or a folder above it) is itself ignored, the levels
        above it are dropped: the user named that folder, so only the
        ``.gitignore`` files inside it apply.
        """
        chain: IgnoreChain = ()
        sigs: Sigs = ()
        folder = self.root
        rel = ""
        for part in [p for p in self.rel_of(target_dir).split("/") if p]:
            try:  # a .gitignore appearing above the target must void the tree memo
                self.trace_dirs.append((folder, os.stat(folder).st_mtime_ns))
            except OSError:
                self.memo_ok = False
            chain, sigs = self.with_level(folder, rel, chain, sigs, None)
            folder = os.path.join(folder, part)
            rel = rel + part + "/"
            if chain and is_ignored(chain, rel.rstrip("/"), True):
                chain, sigs = (), ()
        return chain, sigs

    def with_level(self, folder: str, rel: str, chain: IgnoreChain, sigs: Sigs,
                   known_present: bool | None) -> tuple[IgnoreChain, Sigs]:
        if known_present is False:
            return chain, sigs
        sig = gitignore_sig(os.path.join(folder, GITIGNORE))
        if sig is None:
            return chain, sigs
        self.trace_ignores.add(sig)
        spec = self.cache.spec(sig)
        if spec is None:
            return chain, sigs
        return chain + (IgnoreLevel(rel, spec, sig, by_name(spec)),), sigs + (sig,)

    def walk(self, top: str, chain: IgnoreChain, sigs: Sigs, trust: Trust | None = None) -> None:
        """Walk ``top``; with ``trust``, walk the index instead, touching only what it names dirty.

        A trusted folder is neither stat-ed nor listed, a trusted file neither
        stat-ed nor read. A dirty folder is re-listed (its entries that were
        already listed stay trusted); a new one, and all beneath it, is walked
        as without a watcher.
        """
        stack: list[Any] = [(top, self.rel_of(top), chain, sigs, trust is not None and trust.vouched)]
        dirty_dirs = (trust or NO_TRUST).dirty_dirs
        dirty_files = (trust or NO_TRUST).dirty_files
        spans = self.spans
        near = near_changes(top, dirty_dirs | dirty_files) if spans.previous is not None else set()
        result = self.result
        cache = self.cache
        stat = os.stat
        lstat = os.lstat
        seen = 0
        lookup = cache.file_lookup()
        method = self.method
        suffixes = self.suffixes
        root_len = len(self.root) + 1
        trace_dir = self.trace_dirs.append
        trace_file = self.trace_files.append
        while stack:
            item = stack.pop()
            if item[0] is None:  # the walk leaves a folder: its subtree is complete
                spans.close(item, result, self.trace_files, self.trace_dirs)
                continue
            folder, rel, chain, sigs, trusted = item
            sigs_above = sigs
            if trusted and folder not in near and spans.copy(folder, sigs, result, self.trace_files,
                                                             self.trace_dirs):
                continue
            self.stopper.check()
            snapshot = spans.snapshot(result, self.trace_files, self.trace_dirs)
            if os.path.basename(folder) in UNWATCHED_DIRS:
                spans.unwatched += 1
            record = cache.dir_record(folder)
            # The listing whose entries the watcher vouches for (None: check every stat).
            known = record if trusted and os.path.basename(folder) not in UNWATCHED_DIRS else None
            if known is not None and folder not in dirty_dirs:
                dir_mtime = known.mtime_ns
            else:
                try:
                    dir_mtime = stat(folder).st_mtime_ns
                except OSError:
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
                if record is not None and (record.mtime_ns != dir_mtime or known is not None):
                    record = None  # changed, or named by an event (maybe within one mtime tick)
            trace_dir((folder, dir_mtime))
            chain, sigs = self.with_level(folder, rel, chain, sigs,
                                          None if record is None else record.has_gitignore)
            if record is None or record.ignore_sigs != sigs:
                record = self.list_folder(folder, rel, chain, sigs, dir_mtime)
                if record is None:
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
            all_known = known is record
            known_files: frozenset[str] = frozenset()
            known_dirs: frozenset[str] = frozenset()
            if known is not None and not all_known:
                known_files, known_dirs = frozenset(known.files), frozenset(known.subdirs)
            result.skipped_ignored += record.ignored
            result.skipped_symlinks += record.symlinks
            prefix = folder + os.sep
            # The warm paths, inlined because at 10,000 files every attribute lookup shows:
            # trusted, a dict lookup; otherwise one lstat and a tuple compare.
            for name in record.files:
                if suffixes is not None and not name.endswith(suffixes):
                    result.skipped_not_input += 1
                    continue
                path = prefix + name
                seen += 1
                if seen % STOP_CHECK_EVERY == 0:
                    self.stopper.check()
                if known is not None and (all_known or name in known_files) \
                        and path not in dirty_files:
                    entry = lookup(path)
                    if (entry is not None and entry[3] is method
                            and (entry[2] is None or len(entry[2].rel_path) == len(path) - root_len)):
                        trace_file((path, entry[0], entry[1], entry[4]))
                        self.take(entry)
                        continue
                try:
                    st = lstat(path)
                except FileNotFoundError:  # deleted since the folder was listed
                    cache.forget_dir(folder)
                    self.memo_ok = False
                    continue
                except OSError:
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
                if not stat_module.S_ISREG(st.st_mode):  # became a symlink, FIFO... since listed
                    if stat_module.S_ISLNK(st.st_mode):
                        result.skipped_symlinks += 1
                    else:
                        result.skipped_unreadable += 1
                    cache.forget_dir(folder)
                    self.memo_ok = False
                    continue
                trace_file((path, st.st_size, st.st_mtime_ns, st.st_ino))
                entry = lookup(path)
                if (entry is not None and entry[1] == st.st_mtime_ns and entry[0] == st.st_size
                        and entry[4] == st.st_ino and entry[3] is method
                        and path not in dirty_files):
                    scanned = entry[2]
                    if scanned is None or len(scanned.rel_path) == len(path) - root_len:
                        self.take(entry)
                        continue
                self.add_file(path, rel + name, st, reread=path in dirty_files,
                              looked_up=entry is None)
            if self.pending:  # read before the subfolders, so this folder's span is complete
                self.read_pending()
            stack.append((None, folder, sigs_above, snapshot, record.subdirs))
            for name in reversed(record.subdirs):
                stack.append((prefix + name, rel + name + "/", chain, sigs,
                              known is not None and (all_known or name in known_dirs)))

    def take(self, entry: FileEntry) -> None:
        """Count a cached file as the previous read found it."""
        result = self.result
        result.cached_files += 1
        scanned = entry[2]
        if scanned is None:
            result.skipped_binary += 1
        else:
            result.files.append(scanned)
            result.bytes += scanned.size

    def list_folder(self, folder: str, rel: str, chain: IgnoreChain, sigs: Sigs,
                    dir_mtime: int) -> DirRecord | None:
        files: list[str] = []
        subdirs: list[str] = []
        ignored = symlinks = 0
        has_gitignore = False
        # Matching every name against the rules was a fifth of a cold scan: when the rules
        # decide by name alone, each name is matched once per set of rules, not per folder.
        verdicts = self.cache.verdicts(sigs) if chain and names_decide(chain) else None
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_symlink():
                        symlinks += 1
                    elif entry.is_dir(follow_symlinks=False):
                        if name in ALWAYS_SKIPPED_DIRS:
                            continue
                        if chain and ignored_by(chain, verdicts, rel, name, True):
                            ignored += 1
                        else:
                            subdirs.append(name)
                    elif entry.is_file(follow_symlinks=False):
                        has_gitignore = has_gitignore or name == GITIGNORE
                        if chain and ignored_by(chain, verdicts, rel, name, False):
                            ignored += 1
                        else:
                            files.append(name)
        except OSError:
            return None
        files.sort()
        subdirs.sort()
        record = DirRecord(dir_mtime, sigs, has_gitignore, tuple(files), tuple(subdirs),
                           ignored, symlinks)
        if self.cache.is_racy(dir_mtime, self.now_ns):
            self.memo_ok = self.memo_ok and self.watched
            self.saw_racy = True
        else:
            self.cache.store_dir(folder, record, self.seq)
        return record
