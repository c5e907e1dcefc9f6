"""Files only their owner can read: folders 0700, files 0600.

What Keel writes beside the user's code (a crash log that quotes it, the TCP
token) must not be readable by other users of a shared machine. The default
umask (022) would make them 0644 in 0755 folders. On Windows the user's
profile folders are already private and ``chmod`` only sets the read-only
bit, so the modes are applied on POSIX only.

Standard library only: ``keel serve`` uses it before anything heavy loads.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

POSIX = os.name == "posix"


def private_dir(path: Path) -> Path:
    """``path`` as a folder that only this user can enter; OSError when it cannot be one.

    An existing folder is narrowed to 0700 too (an earlier Keel made it 0755);
    one owned by someone else, or a symlink, is refused rather than trusted.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not POSIX:
        return path
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{path} is not a folder owned by this user")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def open_private(path: Path, mode: str = "a", buffering: int = -1) -> IO[str]:
    """Open a text file for writing (``"a"`` or ``"w"``) as 0600, narrowing an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    flags |= getattr(os, "O_NOFOLLOW", 0)  # a planted symlink must not redirect the write
    fd = os.open(path, flags, 0o600)
    try:
        if POSIX:
            os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open
        return os.fdopen(fd, mode, buffering=buffering, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
