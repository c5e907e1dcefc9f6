"""Ignore rules that decide by name are matched once per name; the others per path, as git does."""

from __future__ import annotations

from pathlib import Path

from keel.scan import ignore as ignore_module
from keel.scan.cache import EstimateCache
from keel.scan.scanner import scan

from .conftest import write


def kept(root: Path, cache: EstimateCache | None = None) -> list[str]:
    return [f.rel_path for f in scan(root, root, suffixes=(".py",), cache=cache).files]


def test_by_name_rules_match_each_name_once(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, ".gitignore", "gen_*.py\nbuild/\n")
    for folder in range(20):
        write(tmp_path, f"p{folder}/a.py", "x")
        write(tmp_path, f"p{folder}/gen_a.py", "x")
        write(tmp_path, f"p{folder}/build/b.py", "x")
    matched: list[str] = []
    real = ignore_module.is_ignored

    def counting(chain, rel_path, is_dir):
        matched.append(rel_path)
        return real(chain, rel_path, is_dir)

    monkeypatch.setattr(ignore_module, "is_ignored", counting)
    assert kept(tmp_path) == sorted(f"p{folder}/a.py" for folder in range(20))
    # p0..p19, and a.py, gen_a.py, build once each (not 20 times).
    assert len(matched) == 20 + 3 + 1  # + the .gitignore file itself


def test_path_rules_and_negations_still_decide_per_path(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "gen_*.py\n")
    write(tmp_path, "a/.gitignore", "/b.py\n")  # anchored: only a/b.py
    write(tmp_path, "d/.gitignore", "!gen_keep.py\n")  # a negation in d only
    for folder in "acde":
        write(tmp_path, f"{folder}/b.py", "x")
        write(tmp_path, f"{folder}/gen_keep.py", "x")
    assert kept(tmp_path) == ["c/b.py", "d/b.py", "d/gen_keep.py", "e/b.py"]


def test_an_unparsable_gitignore_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "secret.py\nfoo\\\n")  # a trailing backslash: no pattern
    write(tmp_path, "secret.py", "x")
    write(tmp_path, "open.py", "x")
    assert kept(tmp_path) == ["open.py"]
