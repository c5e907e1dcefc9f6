"""History, logs and their folders are the user's only, whatever the umask."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from keel.health.preflight import check_storage
from keel.observability.logging import configure_logging
from keel.storage import HistoryReader, open_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture(autouse=True)
def permissive_umask():
    previous = os.umask(0o022)  # the common default: 0644 files in 0755 folders
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_history_database_and_its_journal_are_owner_only(recorder_factory, db_path, build):
    recorder = recorder_factory()
    recorder.run_started(build.run("r1"))
    assert recorder.flush(5)
    # A rollback journal, no shared memory (keel.storage.database.configure says why).
    assert not db_path.with_name("history.db-wal").exists()
    assert not db_path.with_name("history.db-shm").exists()
    assert mode(db_path) == 0o600 and mode(db_path.parent) == 0o700
    conn = open_database(db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
        journal = db_path.with_name("history.db-journal")
        assert journal.exists() and mode(journal) == 0o600  # the transaction's journal
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_the_folders_keel_creates_for_history_are_owner_only(tmp_path, recorder_factory, build):
    path = tmp_path / "data" / "keel" / "workspaces" / "0123abcd" / "history.db"
    recorder = recorder_factory(path)
    recorder.run_started(build.run("r1"))
    assert recorder.flush(5)
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        assert mode(folder) == 0o700, folder


def test_loose_history_from_an_older_keel_is_tightened_on_open(db_path):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    wal = db_path.with_name("history.db-wal")
    wal_keeper = sqlite3.connect(db_path)  # a second connection keeps the -wal file around
    wal_keeper.execute("SELECT * FROM t").fetchall()
    conn.close()
    assert mode(db_path) == 0o644 and mode(db_path.parent) == 0o755 and mode(wal) == 0o644
    reader = HistoryReader(db_path)
    try:
        assert reader.read(lambda c: c.execute("SELECT 1").fetchall()) == [(1,)]
    finally:
        reader.close()
        wal_keeper.close()
    assert mode(db_path) == 0o600 and mode(db_path.parent) == 0o700


def test_preflight_creates_the_storage_folder_owner_only(tmp_path):
    folder = tmp_path / "keel" / "workspaces" / "k"
    assert check_storage(folder).status == "pass"
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_the_log_folder_and_every_log_file_are_owner_only(tmp_path):
    log_dir = tmp_path / "state" / "keel" / "log"
    path = configure_logging("info", log_dir=log_dir)
    try:
        assert path is not None
        logging.getLogger("keel.test").warning("something")
        assert mode(log_dir) == 0o700 and mode(log_dir.parent) == 0o700
        assert mode(path) == 0o600
        handler = next(h for h in logging.getLogger().handlers
                       if isinstance(h, logging.handlers.RotatingFileHandler))
        handler.doRollover()  # the new keel.log is opened by the handler again
        logging.getLogger("keel.test").warning("after the rollover")
        assert mode(path) == 0o600 and mode(path.with_name("keel.log.1")) == 0o600
    finally:
        configure_logging("info", to_file=False)


def test_a_loose_log_folder_and_file_are_tightened(tmp_path):
    log_dir = tmp_path / "log"
    log_dir.mkdir(mode=0o755)
    (log_dir / "keel.log").write_text("")
    os.chmod(log_dir / "keel.log", 0o644)
    try:
        path = configure_logging("info", log_dir=log_dir)
        assert path is not None and mode(path) == 0o600 and mode(log_dir) == 0o700
    finally:
        configure_logging("info", to_file=False)


def planted_link(folder: Path, name: str, tmp_path: Path) -> Path:
    """``folder/name`` as a symlink to a file of the user's that Keel must neither write nor chmod
    (planted while an older Keel's folder was writable by others)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "bashrc"
    target.write_text("export PATH\n")
    os.chmod(target, 0o644)
    (folder / name).symlink_to(target)
    return target


def test_a_symlink_planted_as_keel_log_is_not_followed(tmp_path):
    log_dir = tmp_path / "log"
    target = planted_link(log_dir, "keel.log", tmp_path)
    try:
        configure_logging("info", log_dir=log_dir)
        logging.getLogger("keel.test").warning("a line that must not land in the target")
    finally:
        configure_logging("info", to_file=False)
    assert target.read_text() == "export PATH\n" and mode(target) == 0o644


@pytest.mark.parametrize("planted", ["history.db", "history.db-wal"])
def test_a_symlink_planted_as_history_or_its_wal_is_not_followed(tmp_path, planted):
    from keel.storage.boundary import default_connect

    folder = tmp_path / "workspaces" / "k"
    target = planted_link(folder, planted, tmp_path)
    with pytest.raises(OSError):
        default_connect(folder / "history.db")
    assert target.read_text() == "export PATH\n" and mode(target) == 0o644
