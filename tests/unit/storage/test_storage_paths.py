from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

from keel.storage import database_path


def test_one_database_per_workspace_under_the_user_data_dir(tmp_path: Path) -> None:
    key = hashlib.sha256(str(tmp_path.resolve()).encode()).hexdigest()[:16]
    expected = Path(platformdirs.user_data_dir("keel")) / "workspaces" / key / "history.db"
    assert database_path(tmp_path) == expected
    assert database_path(tmp_path / "other") != expected


def test_storage_dir_setting_replaces_the_user_data_dir(tmp_path: Path) -> None:
    path = database_path(tmp_path / "ws", tmp_path / "custom")
    assert path.parent.parent == tmp_path / "custom" / "workspaces"
    assert path.name == "history.db"
