"""Subtree spans: how a trusted warm walk copies every folder the watcher saw no change beneath.

A walk lists files depth first, so a folder's whole subtree is one contiguous
slice of the result (and of the memo's stat traces). The walk records, per
folder, where that slice starts and ends and what its skip counters added
(``Span``). After an event, the next trusted walk (``memo.py``) descends only
along the folders that lead to a changed path and copies every other
subtree's slice from the previous memo: one list slice per untouched folder
beside the changed ones, instead of one dictionary lookup per file.

A span is recorded only when everything in the subtree was read by the time
the folder closes (the walk reads each folder's files before its subfolders)
and no folder in it is one the client's watcher skips (``UNWATCHED_DIRS``),
and it is used only under the same ignore rules it was made with.
"""

from __future__ import annotations

import os
from typing import Any

from .memo import TreeMemo
from .results import ScanResult

# (files from, files to, file traces from, to, folder traces from, to,
#  the ignore signatures above the folder, counter deltas, kept subfolders)
Span = tuple[int, int, int, int, int, int, Any, tuple[int, ...], tuple[str, ...]]
# (files from, file traces from, folder traces from, counters, unwatched seen): taken as a
# folder is reached, before anything of it is counted.
Snapshot = tuple[int, int, int, tuple[int, ...], int]
# (None, folder, the ignore signatures above it, its snapshot, its kept subfolders)
Marker = tuple[None, str, Any, Snapshot, tuple[str, ...]]


def counters(result: ScanResult) -> tuple[int, ...]:
    return (result.skipped_binary, result.skipped_large, result.skipped_ignored,
            result.skipped_unreadable, result.skipped_symlinks, result.skipped_not_input,
            result.bytes)


def _add(result: ScanResult, deltas: tuple[int, ...]) -> None:
    binary, large, ignored, unreadable, symlinks, not_input, size = deltas
    result.skipped_binary += binary
    result.skipped_large += large
    result.skipped_ignored += ignored
    result.skipped_unreadable += unreadable
    result.skipped_symlinks += symlinks
    result.skipped_not_input += not_input
    result.bytes += size


def near_changes(top: str, paths: frozenset[str]) -> set[str]:
    """Every folder from ``top`` down to each changed path: the walk descends only there."""
    near = {top}
    for path in paths:
        while path.startswith(top) and path not in near:
            near.add(path)
            path = os.path.dirname(path)
    return near


class Spans:
    def __init__(self, previous: TreeMemo | None) -> None:
        self.previous = previous
        self.recorded: dict[str, Span] = {}
        self.unwatched = 0  # folders the client's watcher skips, entered so far

    def copy(self, folder: str, sigs: Any, result: ScanResult,
             trace_files: list[Any], trace_dirs: list[Any]) -> bool:
        """Copy ``folder``'s subtree from the previous memo; False when it has no usable span."""
        previous = self.previous
        span = previous.spans.get(folder) if previous is not None else None
        if previous is None or span is None or span[6] != sigs:
            return False
        f0, f1, t0, t1, d0, d1, _, deltas, _ = span
        shifts = (len(result.files) - f0, len(trace_files) - t0, len(trace_dirs) - d0)
        result.files.extend(previous.result.files[f0:f1])
        trace_files.extend(previous.files[t0:t1])
        trace_dirs.extend(previous.dirs[d0:d1])
        _add(result, deltas)
        result.cached_files += (f1 - f0) + deltas[0]  # every readable and binary file reused
        self._carry(folder, shifts)
        return True

    def _carry(self, folder: str, shifts: tuple[int, int, int]) -> None:
        """Keep the copied subtree's own spans, moved to where they now sit."""
        assert self.previous is not None
        old = self.previous.spans
        df, dt, dd = shifts
        todo = [folder]
        while todo:
            name = todo.pop()
            span = old.get(name)
            if span is None:
                continue
            f0, f1, t0, t1, d0, d1, sigs, deltas, subdirs = span
            self.recorded[name] = (f0 + df, f1 + df, t0 + dt, t1 + dt, d0 + dd, d1 + dd,
                                   sigs, deltas, subdirs)
            todo.extend(name + os.sep + child for child in subdirs)

    def snapshot(self, result: ScanResult, trace_files: list[Any],
                 trace_dirs: list[Any]) -> Snapshot:
        return len(result.files), len(trace_files), len(trace_dirs), counters(result), self.unwatched

    def close(self, marker: Marker, result: ScanResult, trace_files: list[Any],
              trace_dirs: list[Any]) -> None:
        """The walk left the marker's folder: record its subtree's span."""
        _, folder, sigs, (f0, t0, d0, before, unwatched), subdirs = marker
        if unwatched != self.unwatched:
            return
        after = counters(result)
        deltas = tuple(a - b for a, b in zip(after, before, strict=True))
        self.recorded[folder] = (f0, len(result.files), t0, len(trace_files), d0,
                                 len(trace_dirs), sigs, deltas, subdirs)
