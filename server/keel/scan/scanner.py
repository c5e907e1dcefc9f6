"""Walk a file or a directory and count the input tokens a workflow would read.

Rules (the run engine should reuse ``scan`` so both read the same files):

- ``.gitignore`` files are honoured as git does (see ``ignore.py``): nested
  ones relative to their folder, negation included, ignored folders pruned
  without descending. ``.git`` is always skipped. The target itself is never
  ignored (the user named it); its contents follow the rules.
- Symlinks inside the tree are not followed (no cycles, no escape from the
  workspace) and are counted in ``skipped_symlinks``, also when one replaces
  a file after its folder was listed (files are ``lstat``-ed, opened with
  ``O_NOFOLLOW``).
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
- Warm scans: see ``memo.py`` for when the previous result is reused, when
  the watcher's events are trusted (a walk of the in-memory index that
  re-lists and re-reads only what an event named) and when every stat is
  checked instead.
- Reads run inline by default: on the 2-core reference machine a thread pool
  made the cold scan of 100 MB 2x slower (GIL hand-offs outweigh the
  overlapped syscalls; see ``bench/cost_estimate.py``). ``read_workers > 1``
  keeps the option for machines where it pays.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from keel.errors import InvalidInput
from keel.files import kind_of

from .cache import EstimateCache
from .memo import TreeKey, TreeMemo, Trust, unchanged
from .reader import DEFAULT_READ_WORKERS
from .results import ScanResult
from .spans import Spans
from .walk import Stopper, Walk

DEFAULT_MAX_FILE_BYTES = 1024 * 1024


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
    walk = Walk(workspace_root, suffixes, cache or EstimateCache(), max_file_bytes,
                 Stopper(should_stop), read_workers, first_input_only)
    top = os.path.abspath(target)
    if _vouched(walk.cache.tree_memo(_key(walk, top)), walk.cache):
        return _scan_folder(walk, top)  # a folder: the watcher would have said otherwise
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


def _key(walk: Walk, top: str) -> TreeKey:
    return (top, walk.root, walk.suffixes, walk.max_file_bytes, walk.method)


def _vouched(memo: TreeMemo | None, cache: EstimateCache) -> bool:
    """Whether the watcher vouches for ``memo`` (its dirty paths aside)."""
    return (memo is not None and memo.trusted and cache.watching
            and not memo.trust_expired(cache.clock()))


def _scan_folder(walk: Walk, top: str) -> ScanResult:
    cache = walk.cache
    key = _key(walk, top)
    memo = cache.tree_memo(key)
    trust = None
    if memo is not None:
        walk.seq, dirty_dirs, dirty_files = cache.claim_dirty(memo)
        vouched = _vouched(memo, cache)
        if vouched and not dirty_dirs and not dirty_files:
            return _reused(memo)
        if vouched or dirty_files:  # named files are re-read, even by the stat fallback
            trust = Trust(dirty_dirs, dirty_files, vouched)
            if vouched:  # untouched subtrees are copied from it (spans.py)
                walk.spans = Spans(memo)
                walk.trace_ignores.update(memo.ignores)
        elif not memo.racy and unchanged(memo, walk.stopper.check):
            cache.retrust(key, memo, walk.seq)
            return _reused(memo)
    chain, sigs = walk.ancestor_chain(top)
    walk.walk(top, chain, sigs, trust)
    if walk.memo_ok:
        cache.store_tree(key, TreeMemo(tuple(walk.trace_dirs), tuple(walk.trace_files),
                                       tuple(walk.trace_ignores), walk.result, top=top,
                                       trusted=walk.watched, racy=walk.saw_racy,
                                       spans=walk.spans.recorded, validated_ns=cache.clock()),
                        walk.seq)
    return walk.result


def _reused(memo: TreeMemo) -> ScanResult:
    previous: ScanResult = memo.result
    return replace(previous, cached_files=len(previous.files) + previous.skipped_binary)
