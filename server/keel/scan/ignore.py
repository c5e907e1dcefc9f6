"""Git's ignore rules: every ``.gitignore`` from the workspace root down, each relative to its folder.

Precedence follows git: the deepest ``.gitignore`` with a matching pattern
decides (its last matching line, so ``!negation`` works), and a file inside an
ignored directory can never be re-included because the walk never descends
into that directory. ``.git`` is always skipped. Nothing else is special:
``node_modules``, ``.venv`` or ``__pycache__`` are skipped only when a
``.gitignore`` says so, exactly as git would treat them.

``.git/info/exclude`` and the global excludes file are not read: they are
per-clone, and an estimate should not change with who runs it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore import GitIgnorePatternError

from keel.files import read_regular

GITIGNORE = ".gitignore"
ALWAYS_SKIPPED_DIRS = frozenset({".git"})

# (path, size, mtime_ns) of a .gitignore: how a compiled spec is revalidated.
FileSig = tuple[str, int, int]


@dataclass(frozen=True)
class IgnoreLevel:
    prefix: str  # the folder's path relative to the workspace root, "" or ending in "/"
    spec: GitIgnoreSpec
    sig: FileSig
    # Every pattern ignores by name alone ("node_modules/", "*.pyc"): no "/" inside, no "!".
    by_name: bool = False


# Levels from the workspace root (first) to the current folder (last).
IgnoreChain = tuple[IgnoreLevel, ...]


# A .gitignore larger than this is not a real one: it is not read.
MAX_GITIGNORE_BYTES = 4 * 1024 * 1024


def gitignore_sig(path: str) -> FileSig | None:
    """The signature of a regular ``.gitignore`` (a FIFO or device of that name counts as none).

    A symlink counts as none too, as in git (>= 2.32): it could name any file of the user's.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (path, st.st_size, st.st_mtime_ns)


def compile_gitignore(path: str) -> GitIgnoreSpec | None:
    try:
        data = read_regular(path, MAX_GITIGNORE_BYTES)
    except OSError:
        return None
    if len(data) > MAX_GITIGNORE_BYTES:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        return GitIgnoreSpec.from_lines(lines)
    except GitIgnorePatternError:  # git skips a line it cannot parse ("foo\\"); so do we
        return GitIgnoreSpec.from_lines([line for line in lines if _valid(line)])


def _valid(line: str) -> bool:
    try:
        GitIgnoreSpec.from_lines([line])
    except GitIgnorePatternError:
        return False
    return True


def by_name(spec: GitIgnoreSpec) -> bool:
    """Whether ``spec`` decides on an entry's name alone, wherever it sits.

    Then, in a walk that never enters an ignored folder, no folder above an
    entry can match, and the verdict on a name is the same in every folder that
    shares the same rules: ``names_decide``. Patterns with an inner or leading
    ``/``, ``**`` or a negation depend on the path.
    """
    for pattern in spec.patterns:
        if pattern.include is None:
            continue  # a comment or a blank line
        text = getattr(pattern, "pattern", None)
        if (pattern.include is False or not isinstance(text, str)
                or "/" in text.rstrip("/") or text.startswith("/") or "**" in text):
            return False
    return True


def names_decide(chain: IgnoreChain) -> bool:
    return all(level.by_name for level in chain)


def is_ignored(chain: IgnoreChain, rel_path: str, is_dir: bool) -> bool:
    """Whether ``rel_path`` (relative to the workspace root, POSIX) is ignored by ``chain``."""
    candidate = rel_path + "/" if is_dir else rel_path
    for level in reversed(chain):
        result = level.spec.check_file(candidate[len(level.prefix):])
        if result.include is not None:
            return result.include
    return False


def ignored_by(chain: IgnoreChain, verdicts: dict[tuple[str, bool], bool] | None, rel: str,
               name: str, is_dir: bool) -> bool:
    """``is_ignored`` for ``rel + name``, remembered in ``verdicts`` when the rules decide by name."""
    if verdicts is None:
        return is_ignored(chain, rel + name, is_dir)
    verdict = verdicts.get((name, is_dir))
    if verdict is None:
        verdict = verdicts[(name, is_dir)] = is_ignored(chain, rel + name, is_dir)
    return verdict


def chain_sigs(chain: IgnoreChain) -> tuple[FileSig, ...]:
    return tuple(level.sig for level in chain)
