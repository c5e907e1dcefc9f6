"""Reading files Keel did not create: only regular files, and never a blocking open.

A FIFO opened for reading blocks until a writer appears (forever, in a
thread that cannot be interrupted); a character device may never end. So
every read of a workspace file (``.keel/workflows.toml``, ``.gitignore``,
scanned sources) checks the file type with ``stat`` before opening, opens with
``O_NONBLOCK`` (a file swapped for a FIFO after the ``stat`` still cannot
block the open) and checks the type again on the open descriptor.

The standard library has no "open only if regular" call; this is the few
lines it takes.
The files Keel creates for itself are made owner-only in ``keel.private_files``.
"""

from __future__ import annotations

import os
import stat

# Re-exported for the app, which hands it to the worker pool; it lives with the other
# portable process queries.
from keel.processes import resident_bytes as resident_bytes

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0))

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotRegularFile(OSError):
    """The path exists but is not a regular file; ``kind`` says what it is."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(f"{os.fspath(path)} is {kind}, not a regular file")
        self.path = os.fspath(path)
        self.kind = kind


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)")."""
    return next((text for test, text in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of the regular file at ``path`` (symlinks followed).

    Raises ``NotRegularFile`` for anything else, and ``OSError`` as ``os.open`` does.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, kind_of(mode))
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, kind_of(mode))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a regular file: more than ``limit`` means "too large"."""
    fd = open_regular(path)
    try:
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
