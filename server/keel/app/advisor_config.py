"""The advisor configuration of a file: settings over its folder's ``[tool.keel.advisor]``.

``keel.advisor.config`` merges (pure); ``keel.workflows.analyzers.project`` reads
``pyproject.toml`` (as a regular file only, through ``keel.files``), matches
``exclude`` patterns (pathspec, gitignore semantics) and loads the modules a file
imports, for the server (in a thread), ``keel analyze`` and the workflows alike.
"""

from __future__ import annotations

from pathlib import Path

from keel.advisor.config import AdvisorConfig, resolve

# One implementation for keel/analyze, keel analyze and the workflows' static stages.
from keel.workflows.analyzers.project import (
    MAX_PYPROJECT_BYTES,
    excludes,
    find_config,
    load_module,
    read_pyproject,
    usage_for,
    usage_if_ready,
)

__all__ = ["MAX_PYPROJECT_BYTES", "excludes", "find_config", "load_module", "nearest_config",
           "read_pyproject", "usage_for", "usage_if_ready"]


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
