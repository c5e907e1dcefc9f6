"""Read one input file and count its tokens: the cold path's inner loop.

``os.open`` + ``fstat`` + ``os.read`` avoid the buffered-IO layers of ``open()``;
the stat used as the cache key comes from the same open file as the bytes.
Only regular files are read: the walk has just ``lstat``-ed each path as a
regular file, so the open skips ``keel.files.open_regular``'s own ``stat`` (one
system call per file on the cold path) but keeps its guards: ``O_NONBLOCK`` (a
file swapped for a FIFO cannot block), ``O_NOFOLLOW`` (a file swapped for a
symlink is not followed out of the workspace) and a type check on the open
descriptor.
"""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

from .cache import OUTCOME_BINARY, OUTCOME_LARGE, OUTCOME_OK
from .tokens import count_tokens_bytes

BINARY_SNIFF_BYTES = 8192
DEFAULT_READ_WORKERS = 1  # inline; see scan.py on why
POOL_WORKERS = 4  # the shared pool used when a caller asks for read_workers > 1

_pool: ThreadPoolExecutor | None = None

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NOFOLLOW", 0))

# (outcome, tokens, size, mtime_ns, ino)
ReadOutcome = tuple[str, int, int, int, int]


def read_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(POOL_WORKERS, thread_name_prefix="keel-cost-read")
    return _pool


def read_and_count(path: str, max_file_bytes: int) -> ReadOutcome | None:
    """(outcome, tokens, size, mtime_ns, ino) from one open file; None when unreadable."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_size > max_file_bytes:
            return OUTCOME_LARGE, 0, st.st_size, st.st_mtime_ns, st.st_ino
        chunks = []
        remaining = max_file_bytes + 1
        got = 0
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
            got += len(chunk)
            if remaining > 0 and got >= st.st_size:
                break  # a short read at the size fstat gave: the end (saves one read per file)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > max_file_bytes:  # grew since fstat
        return OUTCOME_LARGE, 0, len(data), st.st_mtime_ns, st.st_ino
    if data.find(b"\x00", 0, BINARY_SNIFF_BYTES) != -1:
        return OUTCOME_BINARY, 0, len(data), st.st_mtime_ns, st.st_ino
    return OUTCOME_OK, count_tokens_bytes(data), len(data), st.st_mtime_ns, st.st_ino
