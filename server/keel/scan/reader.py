"""Read one input file and count its tokens: the cold path's inner loop.

``os.open`` + ``fstat`` + ``os.read`` avoid the buffered-IO layers of ``open()``;
the stat used as the cache key comes from the same open file as the bytes.
Only regular files are opened (``keel.files``): anything else is unreadable.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from keel.files import open_regular

from .cache import OUTCOME_BINARY, OUTCOME_LARGE, OUTCOME_OK
from .tokens import count_tokens_bytes

BINARY_SNIFF_BYTES = 8192
DEFAULT_READ_WORKERS = 1  # inline; see scan.py on why
POOL_WORKERS = 4  # the shared pool used when a caller asks for read_workers > 1

_pool: ThreadPoolExecutor | None = None


def read_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(POOL_WORKERS, thread_name_prefix="keel-cost-read")
    return _pool


def read_and_count(path: str, max_file_bytes: int) -> tuple[str, int, int, int] | None:
    """(outcome, tokens, size, mtime_ns) from one open file; None when unreadable."""
    try:
        fd = open_regular(path)  # a FIFO or device in the tree must never block the scan
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_size > max_file_bytes:
            return OUTCOME_LARGE, 0, st.st_size, st.st_mtime_ns
        chunks = []
        remaining = max_file_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > max_file_bytes:  # grew since fstat
        return OUTCOME_LARGE, 0, len(data), st.st_mtime_ns
    if data.find(b"\x00", 0, BINARY_SNIFF_BYTES) != -1:
        return OUTCOME_BINARY, 0, len(data), st.st_mtime_ns
    return OUTCOME_OK, count_tokens_bytes(data), len(data), st.st_mtime_ns
