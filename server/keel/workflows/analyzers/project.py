"""The advisor's I/O: a file's advisor configuration, and the modules a file imports.

The advisor itself does no I/O (import-linter's ``no-io-below``); the two places
that run it on files (``keel/analyze`` through ``keel.app.advisor_config`` and
the workflows' static stages) read configuration and imported modules through
this module, so both run the same rules with the same settings on the same
inputs and report the same findings.

- ``find_config``: settings' ``advisor`` over the folder's ``[tool.keel.advisor]``.
- ``excludes``: gitignore-style ``advisor.exclude`` matching (pathspec).
- ``load_module``: the advisor's ``ModuleLoader``: the tree of a module as imported
  from a file (relative or absolute, within the file's tree), parsed once per
  process per file stamp, so a package's base module is parsed (and, in
  ``keel.advisor.frameworks``, analysed) once for all the files that import it.
  A candidate that resolves (through a symlink) outside the folder it was found
  in is not read.
- ``workspace_usage``: what the other modules of the workspace use of a module, from
  ``keel.advisor.workspace.ImportIndex``, built once per workspace per process and
  kept fresh by file stamps (every changed file is read again; a removed one is
  dropped); ``invalidate(path)`` takes a file watcher's events. The server parses
  nothing for it on its own GIL (issue 22 point 5): the changed files go to a parser
  process (``index_process``), and the file being analysed, when its text is the
  one on disk, is left to the analysis worker, which parses it anyway: the usage is
  then a ``PendingUse`` that the worker resolves, and ``deliver`` indexes the facts
  the worker sends back.
"""

from __future__ import annotations

import ast
import collections
import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import pathspec

from keel.advisor.config import AdvisorConfig, pyproject_table, resolve
from keel.advisor.workspace import ExternalUse, ImportIndex, PendingUse, unparsed_facts
from keel.errors import ConfigError
from keel.files import NotRegularFile, read_regular
from keel.protocol import AdvisorSettings

from .index_process import IndexParseFailed, in_process

MAX_PYPROJECT_BYTES = 1024 * 1024
MAX_MODULE_BYTES = 2 * 1024 * 1024


def excludes(config: AdvisorConfig, relative_path: str) -> bool:
    """Whether a file ('/'-separated path relative to the config's folder) is excluded."""
    if not config.exclude:
        return False
    spec = pathspec.PathSpec.from_lines("gitwildmatch", config.exclude)
    return spec.match_file(str(PurePosixPath(relative_path)))


def read_pyproject(folder: Path) -> dict[str, Any] | None:
    """The ``[tool.keel.advisor]`` table of ``folder/pyproject.toml``; None without the file."""
    pyproject = folder / "pyproject.toml"
    try:
        data = read_regular(pyproject, MAX_PYPROJECT_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (NotRegularFile, OSError) as err:
        raise ConfigError(f"{pyproject} cannot be read: {err}.", code="config.invalid",
                          details={"field": str(pyproject)}) from None
    if len(data) > MAX_PYPROJECT_BYTES:
        raise ConfigError(f"{pyproject} is larger than {MAX_PYPROJECT_BYTES} bytes.",
                          code="config.invalid", details={"field": str(pyproject)})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{pyproject} is not UTF-8: {err}.", code="config.invalid",
                          details={"field": str(pyproject)}) from None
    return pyproject_table(text, str(pyproject))


def find_config(path: Path, roots: list[Path],
                settings: AdvisorSettings | None = None) -> tuple[AdvisorConfig, str]:
    """(the config for a file under one of ``roots``, the file's path relative to that root).

    The root is the innermost workspace folder holding the file (else the file's own
    folder); its ``pyproject.toml``, when present, supplies ``[tool.keel.advisor]``.
    A workspace's ``pyproject.toml`` that is a symlink out of it is refused: an untrusted
    repository must not make the server read the user's other files.
    """
    resolved = path.resolve()
    holders = [root.resolve() for root in roots if resolved.is_relative_to(root.resolve())]
    base = max(holders, key=lambda root: len(root.parts)) if holders else resolved.parent
    if holders and not (base / "pyproject.toml").resolve().is_relative_to(base):
        raise ConfigError(f"{base / 'pyproject.toml'} is a link to a file outside the workspace folder; "
                          "Keel does not read it.", code="config.invalid",
                          details={"field": str(base / "pyproject.toml")})
    table = read_pyproject(base) or {}
    return (resolve(settings, table, str(base / "pyproject.toml")),
            resolved.relative_to(base).as_posix())


def _importer_path(importer: str) -> Path | None:
    if importer.startswith("file:"):
        return Path(unquote(urlparse(importer).path))
    return Path(importer) if importer else None


def _module_file(module: str, importer: Path) -> Path | None:
    """The file of ``module`` (dotted, maybe relative) as imported from ``importer``."""
    level = len(module) - len(module.lstrip("."))
    parts = [p for p in module[level:].split(".") if p]
    if level:
        roots = [importer.parents[level - 1]] if level <= len(importer.parents) else []
    else:  # absolute: the nearest ancestor that holds it (the tree's source root)
        roots = list(importer.parents)[:8]
    for root in roots:
        stem = root.joinpath(*parts)
        candidates = [stem.with_suffix(".py"), stem / "__init__.py"] if parts else [stem / "__init__.py"]
        for candidate in candidates:
            if candidate.is_file() and candidate.resolve().is_relative_to(root.resolve()):
                return candidate
    return None


@functools.lru_cache(maxsize=256)
def _parse(path: str, _mtime_ns: int, _size: int) -> ast.Module | None:
    """A module's tree; the key's stat makes an edited file parse again."""
    try:
        data = read_regular(Path(path), MAX_MODULE_BYTES)
        if len(data) > MAX_MODULE_BYTES:
            return None
        return ast.parse(data.decode("utf-8"))
    except (OSError, NotRegularFile, SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # unreadable: its classes count as plain


def load_module(module: str, importer: str) -> tuple[str, ast.Module] | None:
    """The advisor's ``ModuleLoader``: (the module's path, its tree), or None."""
    importer_path = _importer_path(importer)
    if importer_path is None:
        return None
    target = _module_file(module, importer_path)
    if target is None:
        return None
    try:
        stat = target.stat()
    except OSError:
        return None
    tree = _parse(str(target), stat.st_mtime_ns, stat.st_size)
    return None if tree is None else (str(target), tree)


# -- the workspace import index (keel.advisor.workspace), kept fresh by file stamps ----------

MAX_INDEXED_FILES = 20_000
SMALL_WORKSPACE_FILES = 300  # indexed before answering; larger ones in the background
MAX_SCANNED_ENTRIES = 200_000  # a workspace folder that is a home directory stops here
_SKIP_DIRS = frozenset(("node_modules", "__pycache__", "site-packages", ".git", ".hg", ".svn",
                        ".venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache"))


@dataclass
class _Indexed:
    index: ImportIndex = field(default_factory=ImportIndex)
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    complete: bool = True  # False: too many files to prove anything
    # path -> (digest, stamp) of the text whose facts an analysis worker brings back
    pending: dict[str, tuple[str, tuple[int, int]]] = field(default_factory=dict)


_INDEXES: dict[str, _Indexed] = {}
_LOCK = threading.Lock()  # one refresh at a time (threads of the server; a worker has one)
_BUILDING: set[str] = set()
Parser = Callable[[list[tuple[str, str]]], list[Any]]  # [(path, text)] -> facts, in order
# (file, facts) from analysis workers: appended on the event loop without a lock
# (``deliver``), indexed by the next refresh, under ``_LOCK``
_DELIVERED: collections.deque[tuple[Path, Any]] = collections.deque()


def _python_files(root: Path) -> list[Path] | None:
    """Every ``*.py`` under ``root`` (not in hidden or vendored folders); None: too many."""
    found: list[Path] = []
    pending = [root]
    scanned = 0
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        scanned += len(entries)
        if scanned > MAX_SCANNED_ENTRIES or len(found) > MAX_INDEXED_FILES:
            return None
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    pending.append(Path(entry.path))
            elif entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return found


def refresh_index(root: Path, parse: Parser = in_process) -> _Indexed:
    """The index of ``root``, every file whose stamp (mtime, size) changed read again."""
    with _LOCK:
        return _refresh(root, parse)[0]


def _refresh(root: Path, parse: Parser = in_process,
             own: tuple[str, str] | None = None) -> tuple[_Indexed, bool]:
    """(the index, whether ``own`` = (path, text) changed on disk to exactly that text:
    then it is not parsed here but left pending for the analysis of that text)."""
    _index_delivered()
    key = str(root)
    held = _INDEXES.setdefault(key, _Indexed())
    files = _python_files(root)
    held.complete = files is not None
    if files is None:
        return held, False
    seen = set()
    deferred = False
    todo: list[tuple[str, str, tuple[int, int]]] = []
    for path in files:
        name = str(path)
        seen.add(name)
        try:
            stat = path.stat()
        except OSError:
            continue
        stamp = (stat.st_mtime_ns, stat.st_size)
        if held.stamps.get(name) == stamp:
            continue
        try:
            data = read_regular(path, MAX_MODULE_BYTES)
        except (OSError, NotRegularFile):
            continue
        text = data.decode("utf-8", "replace")
        digest = unparsed_facts(text).digest
        if held.index.digest(name) == digest:
            held.stamps[name] = stamp  # touched, not changed
            held.pending.pop(name, None)
        elif own is not None and own[0] == name and own[1] == text:
            held.pending[name] = (digest, stamp)
            deferred = True
        else:
            held.pending.pop(name, None)
            todo.append((name, text, stamp))
    parsed = parse([(name, text) for name, text, _ in todo]) if todo else []
    for (name, _, stamp), facts in zip(todo, parsed, strict=True):
        held.index.put(name, facts)
        held.stamps[name] = stamp
    for gone in set(held.stamps) - seen:
        del held.stamps[gone]
        held.index.invalidate(gone)
    return held, deferred


def deliver(path: Path, facts: Any) -> None:
    """The index facts an analysis worker computed of a file that ``workspace_usage`` left
    pending (None: it gave none; the next refresh reads the file again). Never blocks:
    the next refresh indexes them."""
    if facts is not None:
        _DELIVERED.append((path, facts))


def deliver_unparsable(path: Path, text: str) -> None:
    """``deliver`` for a text that does not parse: its facts need no parse."""
    deliver(path, unparsed_facts(text))


def _index_delivered() -> None:
    while _DELIVERED:
        path, facts = _DELIVERED.popleft()
        name = str(path.resolve())
        for held in _INDEXES.values():
            # only the text left pending: an older analysis's facts never pass for a newer text
            digest, stamp = held.pending.get(name, ("", (0, 0)))
            if digest == facts.digest:
                del held.pending[name]
                held.index.put(name, facts)
                held.stamps[name] = stamp


def invalidate(path: str | Path) -> None:
    """A file changed or went (a file watcher's event): it is read again on next use."""
    name = str(path)
    with _LOCK:
        for held in _INDEXES.values():
            held.stamps.pop(name, None)
            held.pending.pop(name, None)
            held.index.invalidate(name)


def workspace_usage(path: Path, root: Path, refresh: bool = True, parse: Parser = in_process,
                    text: str | None = None) -> ExternalUse | PendingUse | None:
    """What the other modules under ``root`` use of the module at ``path`` (None: the
    workspace is too large to index, so nothing can be proven). With ``text``, the
    module's text about to be analysed: when that is what changed on disk, the answer
    is a ``PendingUse`` (the analysis resolves it) and the file is not parsed here."""
    try:
        if refresh or str(root) not in _INDEXES:
            with _LOCK:
                held, deferred = _refresh(root, parse, None if text is None else (str(path), text))
                if held.complete and deferred:
                    return held.index.pending_usage(str(path))
        else:
            held = _INDEXES[str(root)]
    except IndexParseFailed:
        return None  # changed files could not be read: nothing can be proven this time
    if not held.complete:
        return None
    return held.index.usage(str(path))


_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def project_root(path: Path) -> Path | None:
    """The nearest folder above ``path`` that holds a project marker (pyproject.toml,
    setup.py, setup.cfg, .git); None outside any project, where nothing can be proven."""
    for folder in path.resolve().parents:
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
    return None


def _base(path: Path, roots: list[Path]) -> Path | None:
    holders = [root.resolve() for root in roots if path.is_relative_to(root.resolve())]
    return max(holders, key=lambda root: len(root.parts)) if holders else project_root(path)


def usage_for(path: Path, roots: list[Path], refresh: bool = True,
              parse: Parser = in_process) -> ExternalUse | None:
    """``workspace_usage`` under the innermost of ``roots`` holding ``path`` (else its
    project root); None when the file is in neither. Builds the index when needed."""
    resolved = path.resolve()
    base = _base(resolved, roots)
    use = None if base is None else workspace_usage(resolved, base, refresh, parse)
    assert not isinstance(use, PendingUse)  # only asked for with a text
    return use


def _build(base: Path, parse: Parser) -> None:
    try:
        refresh_index(base, parse)
    except IndexParseFailed:
        with _LOCK:  # built again on next use
            _INDEXES.pop(str(base), None)
    finally:
        with _LOCK:
            _BUILDING.discard(str(base))


def usage_if_ready(path: Path, roots: list[Path], parse: Parser = in_process,
                   text: str | None = None) -> ExternalUse | PendingUse | None:
    """For the server, which must not make a diagnostic wait for a whole workspace to be
    parsed: ``usage_for`` once the workspace's index is built (then only changed files
    are read again), else None (so fixes stay "unsafe") while a background thread
    builds it. A workspace of at most ``SMALL_WORKSPACE_FILES`` files is indexed at once."""
    resolved = path.resolve()
    base = _base(resolved, roots)
    if base is None:
        return None
    with _LOCK:
        building = str(base) in _BUILDING
        ready = str(base) in _INDEXES and not building
        if not ready and not building:
            files = _python_files(base)
            if files is not None and len(files) <= SMALL_WORKSPACE_FILES:
                ready = True  # a small workspace is indexed at once, below (in this thread)
            else:
                _BUILDING.add(str(base))
                # a daemon thread: a build never holds up the server's exit
                threading.Thread(target=_build, args=(base, parse), name="keel-import-index",
                                 daemon=True).start()
    return workspace_usage(resolved, base, True, parse, text) if ready else None
