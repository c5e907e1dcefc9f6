"""Files only their owner can read: folders 0700, files 0600.

What Keel writes for itself (history, whose reports quote code; logs; a crash
log; the TCP token) must not be readable by other users of a shared machine. The default
umask (022) would make them 0644 in 0755 folders. On Windows the user's
profile folders are already private and ``chmod`` only sets the read-only
bit, so the modes are applied on POSIX only.

Standard library only: ``keel serve`` uses it before anything heavy loads.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

POSIX = os.name == "posix"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, follow_symlinks: bool = True) -> Path:
    """``path`` as a folder that only this user can enter; OSError when it cannot be one.

    The missing parts are created 0700; the folder itself is narrowed to 0700 if
    it existed (an earlier Keel made it 0755); parents that existed are left
    alone (``~/.local/share`` is not Keel's). A folder owned by someone else is
    refused rather than trusted; so is a symlink with ``follow_symlinks=False``
    (where a planted link could redirect a secret: the TCP token).
    """
    missing = []
    part = path
    while not part.exists() and part.parent != part:
        missing.append(part)
        part = part.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # made meanwhile by another thread or process
            pass
    if not POSIX:
        return path
    for folder in missing:
        os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask
    info = os.stat(path) if follow_symlinks else os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{path} is not a folder owned by this user")
    if stat.S_IMODE(info.st_mode) != PRIVATE_FOLDER:
        os.chmod(path, PRIVATE_FOLDER)
    return path


def open_private(path: Path, mode: str = "a", buffering: int = -1) -> IO[str]:
    """Open a text file for writing (``"a"`` or ``"w"``) as 0600, narrowing an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    flags |= getattr(os, "O_NOFOLLOW", 0)  # a planted symlink must not redirect the write
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if POSIX:
            os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its mode through os.open
        return os.fdopen(fd, mode, buffering=buffering, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def private_file(path: Path) -> Path:
    """``path`` created empty 0600 if missing, an existing one narrowed to 0600.

    A symlink (or a FIFO) in its place is refused with OSError, not followed: a link
    planted while an older Keel's folder was open to others would otherwise have
    redirected the database or the log into another of the user's files.
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO fails (ENXIO), never blocks
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if POSIX:
            os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Narrow ``path`` if it exists (a SQLite -wal or -shm file left by an earlier run).

    A symlink there is refused (OSError) rather than narrowed: SQLite would write through it.
    """
    if not POSIX:
        return
    if os.path.islink(path):
        raise OSError(errno.ELOOP, f"{path} is a symbolic link, not a file Keel made")
    try:
        os.chmod(path, mode)
    except FileNotFoundError:
        pass
