"""The advisor configuration of a file: settings over its folder's ``[tool.keel.advisor]``.

``keel.advisor.config`` merges (pure); this module reads ``pyproject.toml`` (as a
regular file only, through ``keel.files``) and matches ``exclude`` patterns
(pathspec, gitignore semantics). Used by the server (in a thread) and by
``keel analyze``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pathspec

from keel.advisor.config import AdvisorConfig, pyproject_table, resolve
from keel.errors import ConfigError
from keel.files import NotRegularFile, read_regular
from keel.protocol import AdvisorSettings

MAX_PYPROJECT_BYTES = 1024 * 1024


def excludes(config: AdvisorConfig, relative_path: str) -> bool:
    """Whether a file ('/'-separated path relative to the config's folder) is excluded."""
    if not config.exclude:
        return False
    spec = pathspec.PathSpec.from_lines("gitwildmatch", config.exclude)
    return spec.match_file(str(PurePosixPath(relative_path)))


def read_pyproject(folder: Path) -> dict | None:
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


def nearest_config(path: Path, cache: dict[Path, tuple[Path, AdvisorConfig]]
                   ) -> tuple[Path, AdvisorConfig]:
    """For the CLI: (folder of the nearest pyproject.toml above ``path``, or its own folder;
    that file's advisor config). ``cache`` is keyed by folder."""
    folder = path.resolve().parent
    for candidate in (folder, *folder.parents):
        if candidate in cache:
            return cache[candidate]
        table = read_pyproject(candidate)
        if table is not None:
            cache[candidate] = (candidate, resolve(None, table,
                                                   str(candidate / "pyproject.toml")))
            return cache[candidate]
    return folder, AdvisorConfig()
