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

import errno
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


# What a user is told when a file they named cannot be read, by errno; anything else says
# the system's own words. A read error is never an "unexpected error".
_REASONS = {
    errno.ENOENT: "it does not exist",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.ELOOP: "its symlinks form a loop",
    errno.ENOTDIR: "a component of its path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "its name is longer than the file system allows",
    errno.EIO: "the disk reported an I/O error",
    errno.ENXIO: "the device behind it is gone",
    errno.ESTALE: "it is on a network share that went stale",
    errno.EMFILE: "too many files are open",
    errno.ENFILE: "too many files are open",
}
# Failures of the machine rather than of the name: worth retrying once the cause is fixed.
TRANSIENT_ERRNOS = frozenset({errno.EIO, errno.ENXIO, errno.ESTALE, errno.EMFILE, errno.ENFILE,
                              errno.EAGAIN, errno.EINTR, errno.ENOMEM})


def read_failure(exc: BaseException) -> tuple[str, str]:
    """(errno name, a reason in words) for an error met reading or resolving a path.

    A ``RuntimeError`` is what ``Path.resolve`` raises for a symlink loop on Python < 3.13.
    """
    if isinstance(exc, NotRegularFile):
        return "EINVAL", f"it is {exc.kind}"
    if isinstance(exc, RuntimeError):
        return "ELOOP", _REASONS[errno.ELOOP]
    number = getattr(exc, "errno", None)
    name = errno.errorcode.get(number, "EUNKNOWN") if isinstance(number, int) else "EUNKNOWN"
    words = _REASONS.get(number) if isinstance(number, int) else None
    return name, words or (getattr(exc, "strerror", None) or type(exc).__name__).lower()
