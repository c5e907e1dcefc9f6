"""Where a workspace's history database lives: one database per workspace."""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

DATABASE_NAME = "history.db"


def workspace_key(workspace: str | Path) -> str:
    """A stable, path-free name for a workspace (absolute paths never leave the process)."""
    resolved = str(Path(workspace).expanduser().resolve())
    return hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]


def storage_root(storage_dir: str | Path | None = None) -> Path:
    """``settings.storage.dir`` when set, otherwise the per-user data dir of Keel."""
    if storage_dir:
        return Path(storage_dir).expanduser()
    return Path(platformdirs.user_data_dir("keel"))


def database_path(workspace: str | Path, storage_dir: str | Path | None = None) -> Path:
    return storage_root(storage_dir) / "workspaces" / workspace_key(workspace) / DATABASE_NAME
