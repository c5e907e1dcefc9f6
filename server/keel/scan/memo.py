"""The whole-tree memo: the fastest warm path, for an estimate repeated on an unchanged tree.

A full walk records every folder's ``mtime_ns``, every input file's
``(size, mtime_ns)`` and every ``.gitignore`` signature it relied on. The next
scan of the same target with the same rules first re-stats exactly those, in
one tight loop, and when nothing moved returns the previous result as is
(no listing, no matching, no per-file bookkeeping). Any difference, error or
invalidation falls back to the per-folder cache in ``cache.py``, which redoes
only what changed. A walk that saw a racily clean entry, an unreadable one or
a file changing under it is not memoised.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .ignore import FileSig

REVALIDATE_STOP_EVERY = 2048

# (target, workspace root, suffixes, max file bytes, token method)
TreeKey = tuple[str, str, tuple[str, ...] | None, int, str]


@dataclass(frozen=True)
class TreeMemo:
    dirs: tuple[tuple[str, int], ...]  # (folder, mtime_ns)
    files: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) of every input file
    ignores: tuple[FileSig, ...]
    result: Any  # the ScanResult of the walk, shared read-only


def unchanged(memo: TreeMemo, check_stop: Callable[[], None]) -> bool:
    """True when every recorded stat is still the same; ``check_stop`` may raise."""
    stat = os.stat
    try:
        for folder, mtime_ns in memo.dirs:
            if stat(folder).st_mtime_ns != mtime_ns:
                return False
        for path, size, mtime_ns in memo.ignores:
            st = stat(path)
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return False
        for index, (path, size, mtime_ns) in enumerate(memo.files):
            st = stat(path)
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return False
            if index % REVALIDATE_STOP_EVERY == 0:
                check_stop()
    except OSError:
        return False
    return True
