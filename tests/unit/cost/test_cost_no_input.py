"""A target whose every file is skipped has no input: a run is refused, an estimate says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel.cost.inputs import no_input_message, require_input
from keel.errors import InvalidInput
from keel.scan.scanner import scan

from .conftest import write


def _skipping_tree(root: Path) -> Path:
    target = root / "pkg"
    write(target, "blob.py", b"\x00\x01binary")
    write(target, "huge.py", "x = 1\n" * 100)
    write(target, "README.md", "# docs")
    write(target, "notes.txt", "text")
    return target


def test_every_file_skipped_is_refused_with_counts_per_reason(tmp_path: Path, cache) -> None:
    target = _skipping_tree(tmp_path)
    with pytest.raises(InvalidInput) as info:
        require_input(target, tmp_path, "pkg", "review", (".py",), 100, cache)
    error = info.value
    assert error.code == "target.no_input" and error.details["field"] == "target"
    assert error.details["skipped"] == {"binary": 1, "large": 1, "notInput": 2}
    assert "1 binary file" in error.message and "1 file over advisor.maxFileBytes" in error.message
    assert "2 files not .py" in error.message and "'review'" in error.message


def test_an_empty_folder_is_refused(tmp_path: Path, cache) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="has no files") as info:
        require_input(tmp_path / "empty", tmp_path, "empty", "review", (".py",), 1000, cache)
    assert info.value.code == "target.no_input"


def test_a_single_non_input_file_is_refused(tmp_path: Path, cache) -> None:
    write(tmp_path, "README.md", "# docs")
    with pytest.raises(InvalidInput, match="1 file not .py"):
        require_input(tmp_path / "README.md", tmp_path, "README.md", "review", (".py",), 1000,
                      cache)


def test_one_readable_input_is_enough(tmp_path: Path, cache) -> None:
    target = _skipping_tree(tmp_path)
    write(target, "ok.py", "y = 2\n")
    require_input(target, tmp_path, "pkg", "review", (".py",), 100, cache)
    assert no_input_message(scan(target, tmp_path, suffixes=(".py",), cache=cache), (".py",),
                            "pkg", "review") is None


def test_a_scan_stopped_by_the_deadline_refuses_nothing(tmp_path: Path, cache) -> None:
    (tmp_path / "empty").mkdir()
    require_input(tmp_path / "empty", tmp_path, "empty", "review", (".py",), 1000, cache,
                  should_stop=lambda: True)


def test_first_input_only_reads_past_binaries_stops_early_and_leaves_no_partial_memo(
        tmp_path: Path, cache) -> None:
    for index in range(40):
        write(tmp_path, f"a{index:02}.py", b"\x00binary")  # walk order: these come first
    for index in range(100):
        write(tmp_path, f"b{index:03}.py", "x = 1\n")
    partial = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache, first_input_only=True)
    assert 1 <= len(partial.files) < 100 and partial.skipped_binary == 40
    full = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache)
    assert len(full.files) == 100 and full.skipped_binary == 40
