"""The storage boundary: the one place where sqlite3 and OSError become Keel errors.

Everything that touches the disk goes through ``connect`` (injectable) and every
foreign exception is translated here by ``translate``, which also decides
whether retrying can help and what a person should do about it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from keel.errors import ConfigError, Unavailable
from keel.private_files import private_dir, private_file, tighten

FaultKind = Literal["transient", "persistent", "rejected"]

# A busy writer waits this long inside SQLite before we see "database is locked"
# and apply our own backoff (which keeps the health status honest meanwhile).
BUSY_TIMEOUT_MS = 250

_TRANSIENT_ERRNOS = {errno.EIO, errno.EAGAIN, errno.EINTR, errno.EBUSY}
_NOT_WRITABLE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST}


class StorageError(Unavailable):
    """History could not be read or written. ``kind`` says whether retrying helps."""

    default_code = "storage.unavailable"

    def __init__(self, message: str, *, kind: FaultKind, fix: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, code=code, hint=fix, transient=kind == "transient")
        self.kind: FaultKind = kind
        self.fix = fix


class SchemaTooNew(ConfigError):
    """The database was written by a newer Keel: we refuse to touch it."""

    default_code = "storage.schema_too_new"

    def __init__(self, path: Path, found: int, known: int) -> None:
        fix = "update Keel, or set keel.storage.dir to another folder"
        super().__init__(
            f"history not saved: {path} has schema v{found} but this Keel knows up to "
            f"v{known} — {fix}",
            hint=fix,
        )
        self.fix = fix
        self.found = found
        self.known = known


ConnectionFactory = Callable[[Path], sqlite3.Connection]


def default_connect(path: Path) -> sqlite3.Connection:
    # Owner-only (keel.files says why). SQLite creates -wal and -shm with the
    # database file's mode, so a 0600 database makes them 0600 too; files of an
    # older, looser version are tightened here.
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))
    # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT), so
    # the sqlite3 module never opens or commits one behind our back.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def translate(exc: BaseException, path: Path) -> StorageError:
    """Map a sqlite3/OSError failure at ``path`` to a ``StorageError`` a person can act on."""
    folder = path.parent
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError):
        if exc.errno in _NOT_WRITABLE_ERRNOS | _TRANSIENT_ERRNOS and _files_not_writable(path):
            return _files_read_only(path)
        return _translate_os_error(exc, folder)
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if any(word in text for word in ("readonly", "read-only", "disk i/o")) and (
                _files_not_writable(path)):
            return _files_read_only(path)
        if "locked" in text or "busy" in text:
            return StorageError(
                f"history delayed: {path.name} is locked by another process; retrying",
                kind="transient", code="storage.locked",
                fix="close other programs using the history database",
            )
        if "disk is full" in text or "database or disk is full" in text:
            return _disk_full(folder)
        if "readonly" in text or "unable to open" in text or "read-only" in text:
            return _not_writable(folder)
        if "disk i/o" in text:
            return StorageError(f"history delayed: I/O error under {folder}; retrying",
                                kind="transient", code="storage.io")
        return StorageError(f"history not saved: {exc}", kind="persistent",
                            code="storage.failed")
    if isinstance(exc, sqlite3.DatabaseError):
        if "not a database" in str(exc).lower() or "malformed" in str(exc).lower():
            return StorageError(
                f"history not saved: {path} is damaged",
                kind="persistent", code="storage.corrupt",
                fix=f"move {path} aside (Keel then starts a new history) or set "
                    "keel.storage.dir to another folder",
            )
        # Constraint or programming errors: the data is at fault, not the disk.
        return StorageError(f"history event rejected: {exc}", kind="rejected",
                            code="storage.rejected")
    if isinstance(exc, sqlite3.Error):
        return StorageError(f"history event rejected: {exc}", kind="rejected",
                            code="storage.rejected")
    raise TypeError(f"not a storage failure: {exc!r}")


def _translate_os_error(exc: OSError, folder: Path) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return _disk_full(folder)
    if exc.errno in _NOT_WRITABLE_ERRNOS or isinstance(exc, PermissionError | NotADirectoryError
                                                       | FileExistsError):
        return _not_writable(folder)
    if exc.errno in _TRANSIENT_ERRNOS:
        return StorageError(
            f"history delayed: I/O error under {folder} ({errno.errorcode.get(exc.errno, '?')}); "
            "retrying", kind="transient", code="storage.io",
        )
    return StorageError(f"history not saved: {exc.strerror or exc} under {folder}",
                        kind="persistent", code="storage.io",
                        fix="set keel.storage.dir to a writable folder")


def _files_not_writable(path: Path) -> bool:
    """A history file that exists but cannot be written (``chattr +i``, ``chmod a-w``, a
    read-only bind mount): SQLite only says "disk I/O error" or "readonly"."""
    for name in (path.name, path.name + "-journal", path.name + "-wal"):
        candidate = path.with_name(name)
        if candidate.exists() and not os.access(candidate, os.W_OK):
            return True
    return False


def _files_read_only(path: Path) -> StorageError:
    return StorageError(
        f"history not saved: {path.name} in {path.parent} cannot be written (read-only or "
        "immutable)",
        kind="persistent", code="storage.not_writable",
        fix=f"make the history files writable again (chmod u+w, chattr -i {path}*) or set "
            "keel.storage.dir to another folder; Keel retries on its own",
    )


def _disk_full(folder: Path) -> StorageError:
    return StorageError(
        f"history not saved: the disk holding {folder} is full",
        kind="persistent", code="storage.disk_full",
        fix="free some disk space, run `keel history cleanup --apply`, or set "
            "keel.storage.dir to a folder on another disk",
    )


def _not_writable(folder: Path) -> StorageError:
    return StorageError(
        f"history not saved: {folder} is not writable",
        kind="persistent", code="storage.not_writable",
        fix="set keel.storage.dir to a writable folder",
    )


STORAGE_FAILURES: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
