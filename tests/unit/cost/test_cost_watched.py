"""A warm estimate fed by the client's file watcher, and the stat fallback without one.

The rule under test: an estimate never uses content older than the last event
for that path, nor content whose ``(size, mtime_ns, ino)`` changed when no
watcher vouches for it. Each hostile case restores the old mtime (and size)
where it can, so that only the event, the inode or the file type gives the
change away.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keel.scan import count_tokens
from keel.scan import walk as walk_module
from keel.scan.cache import EstimateCache
from keel.scan.memo import MAX_DIRTY_PATHS, TRUST_TTL_NS
from keel.scan.scanner import scan

from .conftest import OLD_NS, age_tree, write


def py_scan(root: Path, cache: EstimateCache):
    return scan(root, root, suffixes=(".py",), cache=cache)


def rel_tokens(result) -> list[tuple[str, int]]:
    return [(f.rel_path, f.tokens) for f in result.files]


@pytest.fixture
def watched() -> EstimateCache:
    cache = EstimateCache(racy_window_ns=0)
    cache.set_watching(True)
    return cache


class Syscalls:
    """Counts the file system calls a scan makes (the scan modules call them through ``os``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        for name in ("stat", "lstat", "scandir", "open"):
            real = getattr(os, name)

            def spy(path, *args, _name=name, _real=real, **kwargs):
                self.calls.append((_name, os.fspath(path)))
                return _real(path, *args, **kwargs)

            monkeypatch.setattr(os, name, spy)

    def named(self, kind: str) -> list[str]:
        return [path for name, path in self.calls if name == kind]


def rewrite_keeping_stat(path: Path, text: str) -> None:
    """New content of the same size, the old mtime and the same inode: no stat shows it."""
    st = path.stat()
    assert len(text.encode()) == st.st_size
    with open(path, "r+b") as handle:
        handle.write(text.encode())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def tree(root: Path) -> None:
    """a.py, pkg/b.py and pkg/deep/c.py: 8, 17 and 25 tokens."""
    write(root, "a.py", "x" * 40)
    write(root, "pkg/b.py", "y" * 80)
    write(root, "pkg/deep/c.py", "z" * 120)
    age_tree(root)


def test_a_warm_watched_estimate_makes_no_system_call(tmp_path: Path, watched, monkeypatch) -> None:
    tree(tmp_path)
    first = py_scan(tmp_path, watched)
    calls = Syscalls(monkeypatch)
    second = py_scan(tmp_path, watched)
    assert calls.calls == []
    assert rel_tokens(second) == rel_tokens(first)
    assert second.cached_files == 3


def test_an_event_rereads_the_named_file_only(tmp_path: Path, watched, monkeypatch) -> None:
    tree(tmp_path)
    py_scan(tmp_path, watched)
    c = tmp_path / "pkg" / "deep" / "c.py"
    rewrite_keeping_stat(c, " " * 120)  # other tokens, the same stat
    watched.invalidate([str(c)])
    calls = Syscalls(monkeypatch)
    result = py_scan(tmp_path, watched)
    assert dict(rel_tokens(result))["pkg/deep/c.py"] == count_tokens(" " * 120)
    assert calls.named("open") == [str(c)]  # nothing else is read
    assert calls.named("scandir") == [str(c.parent)]  # only the folder the event named
    assert str(tmp_path / "a.py") not in calls.named("lstat")  # nor stat-ed
    assert result.cached_files == 2


def test_without_a_watcher_a_file_swapped_under_the_same_stat_is_found_by_its_inode(
        tmp_path: Path, cache: EstimateCache) -> None:
    tree(tmp_path)
    py_scan(tmp_path, cache)
    a = tmp_path / "a.py"
    replacement = write(tmp_path, "a.new", " " * 40)
    os.utime(replacement, ns=(OLD_NS, OLD_NS))
    os.replace(replacement, a)  # same size, same mtime, new inode; no event
    os.utime(tmp_path, ns=(OLD_NS, OLD_NS))  # and the folder's mtime put back
    assert dict(rel_tokens(py_scan(tmp_path, cache)))["a.py"] == count_tokens(" " * 40)


@pytest.mark.parametrize("with_event", [True, False])
def test_a_file_replaced_by_a_symlink_to_outside_is_not_followed(
        tmp_path: Path, with_event: bool) -> None:
    cache = EstimateCache(racy_window_ns=0)
    cache.set_watching(with_event)
    ws = tmp_path / "ws"
    tree(ws)
    secret = write(tmp_path, "outside/secret.py", "s" * 4000)
    py_scan(ws, cache)
    b = ws / "pkg" / "b.py"
    b.unlink()
    b.symlink_to(secret)
    os.utime(b.parent, ns=(OLD_NS, OLD_NS))  # the listing's mtime gives nothing away
    if with_event:
        cache.invalidate([str(b)])
    result = py_scan(ws, cache)
    assert "pkg/b.py" not in dict(rel_tokens(result))
    assert result.skipped_symlinks == 1
    assert result.bytes == 40 + 120


def test_a_renamed_folder_is_seen_from_the_folder_events_alone(tmp_path: Path, watched) -> None:
    tree(tmp_path)
    py_scan(tmp_path, watched)
    os.rename(tmp_path / "pkg", tmp_path / "lib")
    # VS Code reports a folder rename as delete + create of the folder, not of its files.
    watched.invalidate([str(tmp_path / "pkg"), str(tmp_path / "lib")])
    result = py_scan(tmp_path, watched)
    assert rel_tokens(result) == [("a.py", 8), ("lib/b.py", 17), ("lib/deep/c.py", 25)]
    os.rename(tmp_path / "lib", tmp_path / "pkg")  # and back: nothing stale from before
    watched.invalidate([str(tmp_path / "lib"), str(tmp_path / "pkg")])
    assert rel_tokens(py_scan(tmp_path, watched)) == [("a.py", 8), ("pkg/b.py", 17),
                                                      ("pkg/deep/c.py", 25)]


def test_a_gitignore_edit_reevaluates_what_is_ignored(tmp_path: Path, watched) -> None:
    tree(tmp_path)
    ignore = write(tmp_path, "pkg/.gitignore", "nothing\n")
    age_tree(tmp_path)
    assert len(py_scan(tmp_path, watched).files) == 3
    ignore.write_text("deep/\n")  # a different size: the spec is recompiled
    os.utime(ignore, ns=(OLD_NS, OLD_NS))
    os.utime(ignore.parent, ns=(OLD_NS, OLD_NS))
    watched.invalidate([str(ignore)])
    result = py_scan(tmp_path, watched)
    assert [f.rel_path for f in result.files] == ["a.py", "pkg/b.py"]
    assert result.skipped_ignored == 1


def test_a_gitignore_above_the_target_is_reevaluated(tmp_path: Path, watched) -> None:
    tree(tmp_path)
    target = tmp_path / "pkg"
    assert len(scan(target, tmp_path, suffixes=(".py",), cache=watched).files) == 2
    ignore = write(tmp_path, ".gitignore", "deep/\n")
    watched.invalidate([str(ignore)])
    result = scan(target, tmp_path, suffixes=(".py",), cache=watched)
    assert [f.rel_path for f in result.files] == ["pkg/b.py"]


def test_an_event_outside_the_target_leaves_the_warm_path_alone(tmp_path: Path, watched,
                                                                monkeypatch) -> None:
    tree(tmp_path / "ws")
    py_scan(tmp_path / "ws", watched)
    watched.invalidate([str(tmp_path / "elsewhere" / "x.py"), "/etc/passwd"])
    calls = Syscalls(monkeypatch)
    assert len(py_scan(tmp_path / "ws", watched).files) == 3
    assert calls.calls == []


def test_an_event_during_the_scan_is_not_lost(tmp_path: Path, watched, monkeypatch) -> None:
    tree(tmp_path)
    a = tmp_path / "a.py"
    real = walk_module.read_and_count

    def read_then_change(path: str, limit: int):
        outcome = real(path, limit)
        if path == str(a):  # the file changes after it was read; its event comes mid-scan
            rewrite_keeping_stat(a, " " * 40)
            watched.invalidate([path])
        return outcome

    monkeypatch.setattr(walk_module, "read_and_count", read_then_change)
    py_scan(tmp_path, watched)
    monkeypatch.setattr(walk_module, "read_and_count", real)
    assert dict(rel_tokens(py_scan(tmp_path, watched)))["a.py"] == count_tokens(" " * 40)


def test_a_hundred_thousand_events_at_once(tmp_path: Path, watched, monkeypatch) -> None:
    tree(tmp_path)
    py_scan(tmp_path, watched)
    c = tmp_path / "pkg" / "deep" / "c.py"
    rewrite_keeping_stat(c, " " * 120)
    passes = []

    class CountingDict(dict):
        def __iter__(self):
            passes.append(1)
            return super().__iter__()

    monkeypatch.setattr(watched, "_dirs", CountingDict(watched._dirs))
    monkeypatch.setattr(watched, "_files", CountingDict(watched._files))
    burst = [str(tmp_path / "gen" / f"d{i % 500}" / f"f{i}.py") for i in range(100_000)]
    watched.invalidate([*burst, str(tmp_path / "pkg"), str(c)])
    assert len(passes) <= 2  # one pass per map, not one per event
    assert 100_000 > MAX_DIRTY_PATHS  # so trust is dropped: the next scan re-stats everything
    result = py_scan(tmp_path, watched)
    assert dict(rel_tokens(result))["pkg/deep/c.py"] == count_tokens(" " * 120)  # named by the burst: re-read
    calls = Syscalls(monkeypatch)
    py_scan(tmp_path, watched)
    assert calls.calls == []  # and trusted again once re-walked


def test_after_one_event_untouched_folders_are_copied_not_walked(tmp_path: Path, watched,
                                                                 monkeypatch) -> None:
    for folder in range(20):
        for index in range(5):
            write(tmp_path, f"p{folder:02}/sub/m{index}.py", "x" * (index + 1) * 10)
    age_tree(tmp_path)
    py_scan(tmp_path, watched)
    edited = tmp_path / "p07" / "sub" / "m3.py"
    edited.write_text("y" * 500)
    watched.invalidate([str(edited)])
    looked_up: list[str] = []

    class CountingDict(dict):
        def get(self, key, default=None):
            looked_up.append(key)
            return super().get(key, default)

    monkeypatch.setattr(watched, "_files", CountingDict(watched._files))
    result = py_scan(tmp_path, watched)
    assert len(result.files) == 100
    assert dict(rel_tokens(result))["p07/sub/m3.py"] == count_tokens("y" * 500)
    assert all("/p07/" in key for key in looked_up)  # 19 folders copied whole
    assert len(looked_up) <= 5


def _fresh(root: Path):
    return py_scan(root, EstimateCache(racy_window_ns=0))


def _same(watched_result, fresh) -> None:
    assert rel_tokens(watched_result) == rel_tokens(fresh)
    for field in ("bytes", "skipped_binary", "skipped_ignored", "skipped_symlinks",
                  "skipped_not_input", "skipped_large", "skipped_unreadable"):
        assert getattr(watched_result, field) == getattr(fresh, field), field


def test_watched_scans_match_a_fresh_scan_through_random_changes(tmp_path: Path, watched) -> None:
    import random

    rng = random.Random(22)
    root = tmp_path / "ws"
    folders = [f"d{a}/e{b}" for a in range(4) for b in range(3)] + ["d0", "d1"]
    for folder in folders:
        for index in range(3):
            write(root, f"{folder}/f{index}.py", "x" * rng.randint(1, 200))
    write(root, "d2/.gitignore", "nothing\n")
    write(root, "d3/blob.py", b"\x00\x01")
    write(root, "d1/notes.txt", "not an input")
    age_tree(root)
    _same(py_scan(root, watched), _fresh(root))
    for step in range(60):
        files = sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())
        dirs = sorted(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())
        action = rng.choice(["edit", "edit", "create", "delete", "rename_dir", "ignore",
                             "symlink", "mkdir"])
        events: list[Path] = []
        if action == "edit" and files:
            path = rng.choice(files)
            if not path.is_symlink():
                path.write_text("y" * rng.randint(1, 300))
                events.append(path)
        elif action == "create" and dirs:
            path = rng.choice(dirs) / f"n{step}.py"
            path.write_text("z" * rng.randint(1, 100))
            events.append(path)
        elif action == "delete" and files:
            path = rng.choice(files)
            path.unlink()
            events.append(path)
        elif action == "rename_dir" and dirs:
            path = rng.choice(dirs)
            target = path.parent / f"r{step}"
            path.rename(target)
            events += [path, target]  # folder events only, as VS Code sends them
        elif action == "ignore":
            path = root / rng.choice(["d2", "d0", "."]) / ".gitignore"
            if path.parent.is_dir():
                path.write_text(rng.choice(["f1.py\n", "e1/\n", "nothing\n", "*.py\n!f0.py\n"]))
                events.append(path)
        elif action == "symlink" and files:
            path = rng.choice(files)
            if not path.is_symlink():
                path.unlink()
                path.symlink_to(tmp_path / "outside.py")
                (tmp_path / "outside.py").write_text("secret " * 50)
                events.append(path)
        elif action == "mkdir" and dirs:
            path = rng.choice(dirs) / f"new{step}" / "inner"
            path.mkdir(parents=True)
            (path / "g.py").write_text("g" * 30)
            events.append(path.parent)  # one event for the new folder, none for its contents
        watched.invalidate([str(p) for p in events])
        _same(py_scan(root, watched), _fresh(root))


def test_a_folder_named_by_an_event_is_relisted_even_if_its_mtime_did_not_move(
        tmp_path: Path, watched) -> None:
    tree(tmp_path)
    py_scan(tmp_path, watched)
    new = write(tmp_path, "pkg/new.py", "n" * 40)
    os.utime(new.parent, ns=(OLD_NS, OLD_NS))  # created within the listing's mtime tick
    watched.invalidate([str(new)])
    assert "pkg/new.py" in dict(rel_tokens(py_scan(tmp_path, watched)))


def test_a_lost_event_matters_for_at_most_the_trust_period(tmp_path: Path) -> None:
    now = [0]
    cache = EstimateCache(racy_window_ns=0, clock=lambda: now[0])
    cache.set_watching(True)
    tree(tmp_path)
    py_scan(tmp_path, cache)
    a = tmp_path / "a.py"
    a.write_text("x" * 400)  # the client drops this event (e.g. its watcher overflowed)
    now[0] += TRUST_TTL_NS  # not yet past the trust period: the memo is served as is
    assert dict(rel_tokens(py_scan(tmp_path, cache)))["a.py"] == count_tokens("x" * 40)
    now[0] += 1  # past it: every stat is checked once, and the change is found
    assert dict(rel_tokens(py_scan(tmp_path, cache)))["a.py"] == count_tokens("x" * 400)
