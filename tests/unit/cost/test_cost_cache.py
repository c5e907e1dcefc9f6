from __future__ import annotations

import os
from pathlib import Path

import pytest

from keel.scan.cache import EstimateCache
from keel.scan.scanner import scan

from .conftest import OLD_NS, age_tree, write


def py_scan(root: Path, cache: EstimateCache):
    return scan(root, root, suffixes=(".py",), cache=cache)


def test_second_scan_comes_from_the_cache(tmp_path: Path, cache: EstimateCache) -> None:
    write(tmp_path, "a.py", "x" * 100)
    write(tmp_path, "pkg/b.py", "x" * 200)
    write(tmp_path, "pkg/blob.py", b"\x00")
    first = py_scan(tmp_path, cache)
    assert first.cached_files == 0
    second = py_scan(tmp_path, cache)
    assert second.cached_files == 3  # the binary file's verdict is cached too
    assert second.skipped_binary == 1
    assert [(f.rel_path, f.tokens) for f in second.files] == [("a.py", 21), ("pkg/b.py", 42)]
    assert second.bytes == first.bytes == 300


def test_a_changed_file_is_reread_by_its_stat(tmp_path: Path, cache: EstimateCache) -> None:
    path = write(tmp_path, "a.py", "x" * 100)
    write(tmp_path, "b.py", "x" * 100)
    py_scan(tmp_path, cache)
    path.write_text("x" * 300)  # size changes
    result = py_scan(tmp_path, cache)
    assert result.cached_files == 1
    assert [f.tokens for f in result.files] == [62, 21]


def test_same_size_rewrite_is_caught_by_mtime(tmp_path: Path, cache: EstimateCache) -> None:
    path = write(tmp_path, "a.py", "x" * 100)
    os.utime(path, ns=(OLD_NS, OLD_NS))
    py_scan(tmp_path, cache)
    path.write_text(" " * 100)  # same size, different tokens
    os.utime(path, ns=(OLD_NS + 1, OLD_NS + 1))
    result = py_scan(tmp_path, cache)
    assert result.cached_files == 0
    assert result.tokens == 27  # 25 indentation runs


def test_new_and_deleted_files_change_the_listing(tmp_path: Path, cache: EstimateCache) -> None:
    write(tmp_path, "pkg/a.py", "a")
    gone = write(tmp_path, "pkg/b.py", "a")
    age_tree(tmp_path)
    py_scan(tmp_path, cache)
    gone.unlink()
    write(tmp_path, "pkg/c.py", "a")  # the folder's mtime moves on
    result = py_scan(tmp_path, cache)
    assert [f.rel_path for f in result.files] == ["pkg/a.py", "pkg/c.py"]
    assert result.cached_files == 1


def test_editing_a_gitignore_in_place_is_noticed(tmp_path: Path, cache: EstimateCache) -> None:
    ignore = write(tmp_path, "pkg/.gitignore", "a.py\n")
    write(tmp_path, "pkg/a.py", "a")
    write(tmp_path, "pkg/b.py", "a")
    age_tree(tmp_path)
    assert [f.rel_path for f in py_scan(tmp_path, cache).files] == ["pkg/b.py"]
    ignore.write_text("b.py\n")  # same size, folder mtime unchanged
    os.utime(ignore, ns=(OLD_NS + 5, OLD_NS + 5))
    os.utime(tmp_path / "pkg", ns=(OLD_NS, OLD_NS))
    result = py_scan(tmp_path, cache)
    assert [f.rel_path for f in result.files] == ["pkg/a.py"]


def test_parent_gitignore_change_relists_subfolders(tmp_path: Path, cache: EstimateCache) -> None:
    ignore = write(tmp_path, ".gitignore", "# nothing\n")
    write(tmp_path, "deep/er/x_test.py", "a")
    write(tmp_path, "deep/er/x.py", "a")
    age_tree(tmp_path)
    assert len(py_scan(tmp_path, cache).files) == 2
    ignore.write_text("*_test.py\n")
    os.utime(ignore, ns=(OLD_NS + 9, OLD_NS + 9))
    assert [f.rel_path for f in py_scan(tmp_path, cache).files] == ["deep/er/x.py"]


def test_racily_clean_entries_are_not_trusted(tmp_path: Path) -> None:
    cache = EstimateCache()  # the default 2 s window
    write(tmp_path, "a.py", "a")
    py_scan(tmp_path, cache)
    assert py_scan(tmp_path, cache).cached_files == 0  # written just now
    age_tree(tmp_path)
    py_scan(tmp_path, cache)
    assert py_scan(tmp_path, cache).cached_files == 1


def test_invalidate_drops_files_and_listings(tmp_path: Path, cache: EstimateCache) -> None:
    a = write(tmp_path, "pkg/a.py", "a")
    write(tmp_path, "pkg/b.py", "a")
    write(tmp_path, "other/c.py", "a")
    py_scan(tmp_path, cache)
    assert cache.file_count == 3
    assert cache.dir_count == 3
    dropped = cache.invalidate([a])
    assert dropped == 2  # the file and its folder's listing
    assert cache.file_count == 2
    assert cache.dir_record(str(tmp_path / "pkg")) is None
    assert cache.dir_record(str(tmp_path / "other")) is not None
    assert py_scan(tmp_path, cache).cached_files == 2


def test_invalidating_a_folder_drops_everything_beneath(tmp_path: Path, cache: EstimateCache) -> None:
    write(tmp_path, "pkg/a.py", "a")
    write(tmp_path, "pkg/sub/b.py", "a")
    write(tmp_path, "c.py", "a")
    py_scan(tmp_path, cache)
    cache.invalidate([str(tmp_path / "pkg")])
    assert cache.file_count == 1
    assert cache.dir_record(str(tmp_path / "pkg" / "sub")) is None
    assert py_scan(tmp_path, cache).cached_files == 1


def test_a_cache_shared_by_two_roots_keeps_paths_apart(tmp_path: Path, cache: EstimateCache) -> None:
    write(tmp_path, "ws/pkg/a.py", "a")
    py_scan(tmp_path / "ws", cache)
    inner = tmp_path / "ws" / "pkg"
    result = scan(inner, inner, suffixes=(".py",), cache=cache)
    assert [f.rel_path for f in result.files] == ["a.py"]


def _forbid_listing(monkeypatch) -> None:
    def no_scandir(path):
        raise AssertionError(f"listed {path}")

    monkeypatch.setattr(os, "scandir", no_scandir)


def test_unchanged_tree_is_served_without_listing(tmp_path: Path, cache: EstimateCache,
                                                  monkeypatch) -> None:
    write(tmp_path, "pkg/a.py", "x" * 100)
    write(tmp_path, "pkg/blob.py", b"\x00")
    first = py_scan(tmp_path, cache)
    _forbid_listing(monkeypatch)
    second = py_scan(tmp_path, cache)
    assert second.files == first.files
    assert (second.cached_files, second.skipped_binary) == (2, 1)
    assert second.scan_token == first.scan_token


def test_invalidate_voids_the_tree_memo(tmp_path: Path, cache: EstimateCache, monkeypatch) -> None:
    a = write(tmp_path, "pkg/a.py", "a")
    py_scan(tmp_path, cache)
    cache.invalidate([a])
    _forbid_listing(monkeypatch)
    # The folder whose listing was dropped is listed again, so the memo is gone.
    with pytest.raises(AssertionError, match="pkg"):
        py_scan(tmp_path, cache)


def test_new_gitignore_above_the_target_is_noticed(tmp_path: Path, cache: EstimateCache) -> None:
    write(tmp_path, "src/a.py", "a")
    write(tmp_path, "src/a_test.py", "a")
    age_tree(tmp_path)
    assert len(scan(tmp_path / "src", tmp_path, suffixes=(".py",), cache=cache).files) == 2
    write(tmp_path, ".gitignore", "*_test.py\n")  # changes the root folder's mtime only
    result = scan(tmp_path / "src", tmp_path, suffixes=(".py",), cache=cache)
    assert [f.rel_path for f in result.files] == ["src/a.py"]
