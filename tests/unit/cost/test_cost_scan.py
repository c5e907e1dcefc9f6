from __future__ import annotations

import os
from pathlib import Path

import pytest

from keel.errors import DeadlineExceeded
from keel.scan.scanner import scan

from .conftest import write


def rels(result) -> list[str]:
    return [f.rel_path for f in result.files]


def test_walk_order_is_files_then_subfolders_sorted(tmp_path: Path, cache) -> None:
    for rel in ("b.py", "a.py", "pkg/z.py", "pkg/inner/y.py", "aaa/x.py", "notes.md"):
        write(tmp_path, rel, "x = 1\n")
    result = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["a.py", "b.py", "aaa/x.py", "pkg/z.py", "pkg/inner/y.py"]
    assert result.bytes == 5 * 6
    assert [f.tokens for f in result.files] == [2] * 5  # "x = 1\n": 4 * 0.2075 + 2 * 0.3757


def test_no_suffix_filter_reads_every_text_file(tmp_path: Path, cache) -> None:
    write(tmp_path, "a.py", "a")
    write(tmp_path, "README.md", "b")
    assert rels(scan(tmp_path, tmp_path, suffixes=None, cache=cache)) == ["README.md", "a.py"]


def test_gitignore_nested_and_negation(tmp_path: Path, cache) -> None:
    write(tmp_path, ".gitignore", "*.gen.py\nbuild/\nnode_modules/\n")
    write(tmp_path, "app.py", "a")
    write(tmp_path, "app.gen.py", "a")  # ignored by the root file
    write(tmp_path, "build/out.py", "a")  # inside a pruned folder
    write(tmp_path, "node_modules/m/index.py", "a")
    write(tmp_path, "pkg/.gitignore", "secret_*.py\n!keep.gen.py\n/local.py\n")
    write(tmp_path, "pkg/keep.gen.py", "a")  # re-included by the deeper file
    write(tmp_path, "pkg/other.gen.py", "a")  # still ignored by the root file
    write(tmp_path, "pkg/secret_key.py", "a")  # ignored by pkg/.gitignore
    write(tmp_path, "pkg/local.py", "a")  # anchored to pkg/
    write(tmp_path, "pkg/sub/local.py", "a")  # the anchor does not reach here
    write(tmp_path, "pkg/sub/secret_x.py", "a")  # unanchored pattern does
    write(tmp_path, "lib/secret_ok.py", "a")  # pkg's rules do not apply to lib/
    write(tmp_path, ".git/hooks/pre.py", "a")  # always skipped, not counted
    result = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["app.py", "lib/secret_ok.py", "pkg/keep.gen.py", "pkg/sub/local.py"]
    # app.gen.py, build/, node_modules/, other.gen.py, secret_key.py, local.py, secret_x.py
    assert result.skipped_ignored == 7


def test_negation_cannot_reinclude_inside_an_ignored_folder(tmp_path: Path, cache) -> None:
    write(tmp_path, ".gitignore", "gen/\n!gen/keep.py\n")
    write(tmp_path, "gen/keep.py", "a")
    write(tmp_path, "main.py", "a")
    result = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["main.py"]
    assert result.skipped_ignored == 1


def test_target_subfolder_obeys_rules_from_above(tmp_path: Path, cache) -> None:
    write(tmp_path, ".gitignore", "*_pb2.py\n")
    write(tmp_path, "src/a.py", "a")
    write(tmp_path, "src/a_pb2.py", "a")
    result = scan(tmp_path / "src", tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["src/a.py"]
    assert result.skipped_ignored == 1


def test_a_named_target_inside_an_ignored_folder_is_still_scanned(tmp_path: Path, cache) -> None:
    write(tmp_path, ".gitignore", "vendor/\n*.tmp.py\n")
    write(tmp_path, "vendor/lib/a.py", "a")
    write(tmp_path, "vendor/lib/b.tmp.py", "a")
    result = scan(tmp_path / "vendor" / "lib", tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["vendor/lib/a.py", "vendor/lib/b.tmp.py"]


def test_binary_large_and_unreadable_files_are_skipped_and_counted(
    tmp_path: Path, cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "ok.py", "print(1)\n")
    write(tmp_path, "blob.py", b"abc\x00def")
    write(tmp_path, "late_nul.py", b"a" * 9000 + b"\x00")  # over the cap: large, not binary
    write(tmp_path, "big.py", "x" * 101)
    write(tmp_path, "edge.py", "x" * 100)  # exactly at the cap: kept
    locked = str(write(tmp_path, "locked.py", "a"))
    real_open = os.open

    def deny_locked(path, *args, **kwargs):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_locked)  # chmod would not stop root
    result = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache, max_file_bytes=100)
    assert rels(result) == ["edge.py", "ok.py"]
    assert (result.skipped_binary, result.skipped_large, result.skipped_unreadable) == (1, 2, 1)
    assert result.skipped_files == 4
    assert result.bytes == 100 + 9


def test_binary_sniff_looks_only_at_the_first_8_kb(tmp_path: Path, cache) -> None:
    write(tmp_path, "late_nul.py", b"a" * 9000 + b"\x00")
    result = scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["late_nul.py"]
    assert result.skipped_binary == 0


def test_symlinks_inside_the_tree_are_not_followed(tmp_path: Path, cache) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.py", "a")
    ws = tmp_path / "ws"
    write(ws, "a.py", "a")
    (ws / "link_dir").symlink_to(outside, target_is_directory=True)
    (ws / "link.py").symlink_to(outside / "secret.py")
    result = scan(ws, ws, suffixes=(".py",), cache=cache)
    assert rels(result) == ["a.py"]
    assert result.skipped_symlinks == 2


def test_single_file_target(tmp_path: Path, cache) -> None:
    write(tmp_path, ".gitignore", "gen.py\n")
    path = write(tmp_path, "pkg/gen.py", "x" * 100)
    result = scan(path, tmp_path, suffixes=(".py",), cache=cache)
    assert rels(result) == ["pkg/gen.py"]  # named explicitly, so not ignored
    assert result.tokens == 21
    other = write(tmp_path, "notes.txt", "x")
    assert scan(other, tmp_path, suffixes=(".py",), cache=cache).files == []


def test_should_stop_mid_scan_raises_deadline_exceeded(tmp_path: Path, cache) -> None:
    for i in range(5):
        write(tmp_path, f"d{i}/m.py", "a")
    calls = 0

    def should_stop() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    with pytest.raises(DeadlineExceeded) as caught:
        scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache, should_stop=should_stop)
    assert caught.value.code == "deadline.exceeded"
    assert calls == 3


def test_should_stop_is_polled_during_reads(tmp_path: Path, cache) -> None:
    for i in range(600):
        write(tmp_path, f"f{i:04}.py", "a")
    # One folder check and two in the stat loop (every 256 files): the fourth
    # check can only come from the read phase.
    calls = 0

    def should_stop() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    with pytest.raises(DeadlineExceeded):
        scan(tmp_path, tmp_path, suffixes=(".py",), cache=cache, should_stop=should_stop)
    assert calls == 4


def test_a_gitignore_that_links_out_of_the_workspace_is_not_read(tmp_path, cache):
    """A repository's ``.gitignore -> ~/some/file`` made the scan read that file as patterns
    (issue 19: the server reads only the workspace). Git itself (>= 2.32) does not follow
    an in-tree ``.gitignore`` symlink either."""
    workspace = tmp_path / "ws"
    write(workspace, "a.py", "x = 1\n")
    write(workspace, "b.py", "y = 2\n")
    write(tmp_path, "outside", "a.py\n")
    (workspace / ".gitignore").symlink_to(tmp_path / "outside")
    result = scan(workspace, workspace, suffixes=(".py",), cache=cache)
    assert [f.rel_path for f in result.files] == ["a.py", "b.py"]
