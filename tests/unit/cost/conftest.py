from __future__ import annotations

import os
from pathlib import Path

import pytest

from keel.scan.cache import EstimateCache

OLD_NS = 1_600_000_000 * 10**9  # 2020-09-13: far outside any racy window


def write(root: Path, rel: str, content: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def age_tree(root: Path) -> None:
    """Give every file and folder an old mtime, so the cache may trust them."""
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            os.utime(os.path.join(folder, name), ns=(OLD_NS, OLD_NS), follow_symlinks=False)
    os.utime(root, ns=(OLD_NS, OLD_NS))


@pytest.fixture
def cache() -> EstimateCache:
    # No racy window: fixtures are written a moment before they are scanned.
    return EstimateCache(racy_window_ns=0)
