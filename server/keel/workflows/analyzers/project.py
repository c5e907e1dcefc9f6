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
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import pathspec

from keel.advisor.config import AdvisorConfig, pyproject_table, resolve
from keel.errors import ConfigError
from keel.files import NotRegularFile, read_regular
from keel.protocol import AdvisorSettings

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
