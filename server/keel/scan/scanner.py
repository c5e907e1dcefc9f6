"""Walk a file or a directory and count the input tokens a workflow would read.

Rules (the run engine should reuse ``scan`` so both read the same files):

- ``.gitignore`` files are honoured as git does (see ``ignore.py``): nested
  ones relative to their folder, negation included, ignored folders pruned
  without descending. ``.git`` is always skipped. The target itself is never
  ignored (the user named it); its contents follow the rules.
- Symlinks inside the tree are not followed (no cycles, no escape from the
  workspace) and are counted in ``skipped_symlinks``.
- Only files whose name ends with one of the workflow's ``inputs`` suffixes
  are read. Files over ``max_file_bytes`` (``skipped_large``), binary files —
  a NUL byte in the first 8 KB — (``skipped_binary``) and unreadable files
  (``skipped_unreadable``) are skipped and counted. ``skipped_ignored`` counts
  entries excluded by ``.gitignore``: files, and pruned folders once each.
  FIFOs, sockets and devices are never opened (``keel.files``), not even as
  a ``.gitignore``; one that replaces a listed file counts as unreadable.
- Files come out in walk order: a folder's files (sorted), then its
  subfolders (sorted), depth first. Chunk packing depends on that order.
- ``should_stop`` is polled per folder and every few hundred files; when it
  turns true the scan raises ``DeadlineExceeded``: no partial figure escapes.
- Reads run inline by default: on the 2-core reference machine a thread pool
  made the cold scan of 100 MB 2x slower (GIL hand-offs outweigh the
  overlapped syscalls; see ``bench/cost_estimate.py``). ``read_workers > 1``
  keeps the option for machines where it pays.
"""

from __future__ import annotations

import os
import stat as stat_module
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from keel.errors import DeadlineExceeded, InvalidInput
from keel.files import kind_of

from .cache import OUTCOME_LARGE, OUTCOME_OK, DirRecord, EstimateCache, FileEntry
from .ignore import (
    ALWAYS_SKIPPED_DIRS,
    GITIGNORE,
    FileSig,
    IgnoreChain,
    IgnoreLevel,
    gitignore_sig,
    is_ignored,
)
from .memo import TreeMemo, unchanged
from .reader import DEFAULT_READ_WORKERS, read_and_count, read_pool
from .results import ScannedFile, ScanResult
from .tokens import HEURISTIC_METHOD

Sigs = tuple[FileSig, ...]  # the .gitignore files a folder's rules came from

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
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


class _Stopper:
    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self._should_stop = should_stop

    def check(self) -> None:
        if self._should_stop is not None and self._should_stop():
            raise DeadlineExceeded(
                "The cost estimate did not finish within its deadline.",
                hint="Narrow the target or raise settings.timeouts.estimateCostMs.",
            )


class _Walk:
    def __init__(self, workspace_root: Path, suffixes: tuple[str, ...] | None,
                 cache: EstimateCache, max_file_bytes: int, stopper: _Stopper,
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
        self.method = HEURISTIC_METHOD
        # What the result depends on, for the whole-tree memo (memo.py).
        self.memo_ok = True
        self.trace_dirs: list[tuple[str, int]] = []
        self.trace_files: list[tuple[str, int, int]] = []
        self.trace_ignores: set[FileSig] = set()

    # -- files -----------------------------------------------------------
    def add_file(self, path: str, rel: str, st: os.stat_result) -> None:
        """Count one input file: from the cache when its stat is unchanged, else queue a read."""
        result = self.result
        if st.st_size > self.max_file_bytes:
            result.skipped_large += 1
            return
        entry = self.cache.file_entry(path)
        if (entry is not None and entry[0] == st.st_size and entry[1] == st.st_mtime_ns
                and entry[3] == self.method and self.reusable(entry[2], rel)):
            result.cached_files += 1
            if entry[2] is None:
                result.skipped_binary += 1
            else:
                result.files.append(entry[2])
                result.bytes += entry[0]
            return
        self.pending.append(_Pending(path, rel, len(result.files), st.st_size, st.st_mtime_ns))
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
                outcomes: Iterator[tuple[str, int, int, int] | None] = read_pool().map(read_and_count, paths,
                                                      [self.max_file_bytes] * len(paths))
            else:
                outcomes = (read_and_count(p, self.max_file_bytes) for p in paths)
            for item, outcome in zip(batch, outcomes, strict=True):
                if outcome is None:
                    result.skipped_unreadable += 1
                    dropped.add(item.index)
                    self.memo_ok = False
                    continue
                kind, tokens, size, mtime_ns = outcome
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
                if (size, mtime_ns) != (item.size, item.mtime_ns):
                    self.memo_ok = False  # changed between the walk's stat and the read
                if kind == OUTCOME_LARGE:
                    continue
                if self.cache.is_racy(mtime_ns, self.now_ns):
                    self.memo_ok = False
                else:
                    to_store.append((item.path, (size, mtime_ns, scanned, self.method)))
        if dropped:
            result.files = [f for i, f in enumerate(result.files) if i not in dropped]
        self.cache.store_files(to_store)

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
        return chain + (IgnoreLevel(rel, spec, sig),), sigs + (sig,)

    def walk(self, top: str, chain: IgnoreChain, sigs: Sigs) -> None:
        stack = [(top, self.rel_of(top), chain, sigs)]
        result = self.result
        cache = self.cache
        stat = os.stat
        seen = 0
        lookup = cache.file_lookup()
        append = result.files.append
        method = self.method
        suffixes = self.suffixes
        root_len = len(self.root) + 1
        trace_dir = self.trace_dirs.append
        trace_file = self.trace_files.append
        while stack:
            self.stopper.check()
            folder, rel, chain, sigs = stack.pop()
            try:
                dir_mtime = stat(folder).st_mtime_ns
            except OSError:
                result.skipped_unreadable += 1
                self.memo_ok = False
                continue
            trace_dir((folder, dir_mtime))
            record = cache.dir_record(folder)
            if record is not None and record.mtime_ns != dir_mtime:
                record = None
            chain, sigs = self.with_level(folder, rel, chain, sigs,
                                          None if record is None else record.has_gitignore)
            if record is None or record.ignore_sigs != sigs:
                record = self.list_folder(folder, rel, chain, sigs, dir_mtime)
                if record is None:
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
            result.skipped_ignored += record.ignored
            result.skipped_symlinks += record.symlinks
            prefix = folder + os.sep
            # The warm path: one stat per input file and a tuple compare, inlined
            # because at 10,000 files every attribute lookup shows.
            for name in record.files:
                if suffixes is not None and not name.endswith(suffixes):
                    result.skipped_not_input += 1
                    continue
                path = prefix + name
                try:
                    st = stat(path)
                except FileNotFoundError:  # deleted since the folder was listed
                    cache.forget_dir(folder)
                    self.memo_ok = False
                    continue
                except OSError:
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
                if not stat_module.S_ISREG(st.st_mode):  # became a FIFO or device since listed
                    result.skipped_unreadable += 1
                    self.memo_ok = False
                    continue
                trace_file((path, st.st_size, st.st_mtime_ns))
                seen += 1
                if seen % STOP_CHECK_EVERY == 0:
                    self.stopper.check()
                entry = lookup(path)
                if (entry is not None and entry[1] == st.st_mtime_ns and entry[0] == st.st_size
                        and entry[3] is method):
                    scanned = entry[2]
                    if scanned is None:
                        result.skipped_binary += 1
                        result.cached_files += 1
                        continue
                    if len(scanned.rel_path) == len(path) - root_len:
                        append(scanned)
                        result.cached_files += 1
                        result.bytes += scanned.size
                        continue
                self.add_file(path, rel + name, st)
            for name in reversed(record.subdirs):
                stack.append((prefix + name, rel + name + "/", chain, sigs))
        self.read_pending()

    def list_folder(self, folder: str, rel: str, chain: IgnoreChain, sigs: Sigs,
                    dir_mtime: int) -> DirRecord | None:
        files: list[str] = []
        subdirs: list[str] = []
        ignored = symlinks = 0
        has_gitignore = False
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_symlink():
                        symlinks += 1
                    elif entry.is_dir(follow_symlinks=False):
                        if name in ALWAYS_SKIPPED_DIRS:
                            continue
                        if chain and is_ignored(chain, rel + name, True):
                            ignored += 1
                        else:
                            subdirs.append(name)
                    elif entry.is_file(follow_symlinks=False):
                        has_gitignore = has_gitignore or name == GITIGNORE
                        if chain and is_ignored(chain, rel + name, False):
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
            self.memo_ok = False
        else:
            self.cache.store_dir(folder, record)
        return record


def scan(
    target: Path,
    workspace_root: Path,
    *,
    suffixes: tuple[str, ...] | None,
    cache: EstimateCache | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    should_stop: Callable[[], bool] | None = None,
    read_workers: int = DEFAULT_READ_WORKERS,
    first_input_only: bool = False,
) -> ScanResult:
    """Files of ``target`` (a resolved file or folder inside ``workspace_root``) and their tokens.

    ``first_input_only``: stop reading once one input file is known to be
    readable (the answer to "is there anything to read?"); the result is then
    partial and not memoised, but complete whenever it has no files.
    """
    walk = _Walk(workspace_root, suffixes, cache or EstimateCache(), max_file_bytes,
                 _Stopper(should_stop), read_workers, first_input_only)
    top = os.path.abspath(target)
    try:
        st = os.stat(top)
    except OSError:
        raise InvalidInput("The target does not exist.", code="target.not_found",
                           details={"field": "target"}) from None
    if stat_module.S_ISDIR(st.st_mode):
        return _scan_folder(walk, top)
    elif stat_module.S_ISREG(st.st_mode):
        if walk.wants(os.path.basename(top)):
            walk.add_file(top, walk.rel_of(top).rstrip("/"), st)
            walk.read_pending()
        else:
            walk.result.skipped_not_input += 1
    else:
        raise InvalidInput(f"The target is {kind_of(st.st_mode)}, neither a file nor a folder; "
                           "it is not read.", code="target.not_a_file", details={"field": "target"})
    return walk.result


def _scan_folder(walk: _Walk, top: str) -> ScanResult:
    key = (top, walk.root, walk.suffixes, walk.max_file_bytes, walk.method)
    memo = walk.cache.tree_memo(key)
    if memo is not None and unchanged(memo, walk.stopper.check):
        previous: ScanResult = memo.result
        return replace(previous, cached_files=len(previous.files) + previous.skipped_binary)
    chain, sigs = walk.ancestor_chain(top)
    walk.walk(top, chain, sigs)
    if walk.memo_ok:
        walk.cache.store_tree(key, TreeMemo(tuple(walk.trace_dirs), tuple(walk.trace_files),
                                            tuple(walk.trace_ignores), walk.result))
    return walk.result
