"""The package graph is one way: import-linter's contracts in pyproject.toml hold.

The contracts (layers, "no I/O below", "only lsp speaks LSP", …) are described in
docs/architecture.md. The second test breaks a copy of the package on purpose, so
a contract that silently stopped checking anything would be noticed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"

# Runs the linter the way `lint-imports --no-cache` does, with this interpreter.
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    # import-linter puts the working directory first on sys.path, so `keel` is found there.
    return subprocess.run([sys.executable, "-c", LINT, str(PYPROJECT)], cwd=cwd,
                          capture_output=True, text=True, timeout=90)


def _outcome(result: subprocess.CompletedProcess[str], name: str) -> str | None:
    found = re.search(re.escape(name) + r"\s*(KEPT|BROKEN)", result.stdout)
    return found.group(1) if found else None


def _contract_names() -> dict[str, str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c["name"] for c in config["contracts"]}


def test_import_contracts_are_kept():
    result = _lint(ROOT / "server")
    assert result.returncode == 0, result.stdout + result.stderr
    kept = {cid for cid, name in _contract_names().items() if _outcome(result, name) == "KEPT"}
    assert kept == set(_contract_names()), result.stdout


def test_breaking_an_import_rule_fails_the_lint(tmp_path: Path):
    copy = tmp_path / "keel"
    shutil.copytree(ROOT / "server" / "keel", copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "runtime" / "clock.py").open("a", encoding="utf-8") as f:
        f.write("\nimport sqlite3  # a runtime that does I/O\n")
    with (copy / "protocol" / "base.py").open("a", encoding="utf-8") as f:
        f.write("\nimport keel.records  # the wire contract knowing storage\n")
    with (copy / "storage" / "paths.py").open("a", encoding="utf-8") as f:
        f.write("\nimport pygls  # LSP outside keel.lsp\n")
    (copy / "unplaced").mkdir()
    (copy / "unplaced" / "__init__.py").write_text('"""A package nobody put in a layer."""\n')

    result = _lint(tmp_path)

    assert result.returncode != 0
    names = _contract_names()
    broken = {cid for cid, name in names.items() if _outcome(result, name) == "BROKEN"}
    assert broken == {"layers", "no-io-below", "only-lsp-speaks-lsp",
                      "only-storage-touches-sqlite"}, result.stdout
    assert "keel.protocol.base -> keel.records" in result.stdout
    assert "keel.unplaced" in result.stdout  # the exhaustive layers name the unplaced package
