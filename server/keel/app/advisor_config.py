"""The advisor configuration of a file: settings over its folder's ``[tool.keel.advisor]``.

``keel.advisor.config`` merges (pure); ``keel.workflows.analyzers.project`` reads
``pyproject.toml`` (as a regular file only, through ``keel.files``), matches
``exclude`` patterns (pathspec, gitignore semantics) and loads the modules a file
imports, for the server (in a thread), ``keel analyze`` and the workflows alike.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from keel.advisor.config import AdvisorConfig, resolve
from keel.protocol import AdvisorSettings

# One implementation for keel/analyze, keel analyze and the workflows' static stages, in
# keel.workflows.analyzers.project; imported on first call, so that loading this module (at
# the first request) does not load the run path (tests/contract/test_import_budget.py).


def _project() -> ModuleType:
    return importlib.import_module("keel.workflows.analyzers.project")


def excludes(config: AdvisorConfig, relative_path: str) -> bool:
    return bool(_project().excludes(config, relative_path))


def read_pyproject(folder: Path) -> dict[str, Any] | None:
    return _project().read_pyproject(folder)  # type: ignore[no-any-return]


def find_config(path: Path, roots: list[Path], settings: AdvisorSettings | None = None
                ) -> tuple[AdvisorConfig, str]:
    return _project().find_config(path, roots, settings)  # type: ignore[no-any-return]


def load_module(module: str, importer: str) -> tuple[str, Any] | None:
    """The advisor's ModuleLoader (picklable: workers import this module by name)."""
    return _project().load_module(module, importer)  # type: ignore[no-any-return]


def usage_for(path: Path, roots: list[Path], refresh: bool = True) -> Any:
    return _project().usage_for(path, roots, refresh)


def usage_if_ready(path: Path, roots: list[Path], text: str | None = None) -> Any:
    """For the server: the index's files are parsed in a child process (``server_parser``),
    and ``path``, when ``text`` is what changed on disk, by the analysis (a ``PendingUse``)."""
    return _project().usage_if_ready(path, roots, server_parser(), text)


def usage_for_fix(path: Path, roots: list[Path]) -> Any:
    """``usage_for`` in the server: changed files parsed in the child process."""
    return _project().usage_for(path, roots, True, server_parser())


def deliver_index_facts(path: Path, facts: Any) -> None:
    """The analysed file's index facts, from the worker (None: it did not give any)."""
    _project().deliver(path, facts)


def deliver_unparsable(path: Path, text: str) -> None:
    _project().deliver_unparsable(path, text)


_PARSER: Any = None
_PARSER_LOCK = threading.Lock()


def server_parser() -> Any:
    """The server's one index parser process (started on first use, stopped when idle)."""
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            _PARSER = importlib.import_module("keel.workflows.analyzers.index_process").FactsProcess()
    return _PARSER.facts


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
