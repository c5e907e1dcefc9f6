"""What a scan found: the readable files and the counts of everything skipped."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .tokens import HEURISTIC_METHOD

_scan_tokens = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ScannedFile:
    rel_path: str  # POSIX, relative to the workspace root
    size: int
    tokens: int


@dataclass
class ScanResult:
    files: list[ScannedFile] = field(default_factory=list)
    bytes: int = 0
    cached_files: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    skipped_ignored: int = 0
    skipped_unreadable: int = 0
    skipped_symlinks: int = 0
    skipped_not_input: int = 0  # regular files whose suffix is not one of the workflow's inputs
    method: str = HEURISTIC_METHOD
    # Identifies this exact file list (shared, read-only) for memoised planning.
    scan_token: int = field(default_factory=lambda: next(_scan_tokens))

    @property
    def tokens(self) -> int:
        return sum(f.tokens for f in self.files)

    @property
    def skipped_files(self) -> int:
        """Input files the workflow would want but that were not read."""
        return self.skipped_binary + self.skipped_large + self.skipped_unreadable
