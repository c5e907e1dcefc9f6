"""The fast start's tier of the import-time budget (docs/architecture.md, "Architecture
invariants"): before ``initialize`` is answered, the standard library and ``keel`` only.

Each check runs a fresh interpreter, since this test process has long since loaded everything.
The later tiers (the first request, a run) are checked in test_import_budget.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pydantic", "pydantic_core", "structlog", "rich", "pygls", "lsprotocol", "attrs", "cattrs")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


def test_the_fast_start_and_the_serve_command_load_none_of_the_heavy_packages():
    loaded = _run(
        "import json, sys\n"
        "import keel.lsp.early, keel.cli, keel.cli.serve\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))\n")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == []


def test_the_fast_start_imports_only_the_standard_library_and_keel():
    loaded = _run(
        "import json, sys\n"
        "import keel.lsp.early\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names))))\n")
    assert loaded.returncode == 0, loaded.stderr
    # _distutils_hack: setuptools' .pth hook, loaded at interpreter start-up when present.
    assert set(json.loads(loaded.stdout)) - {"_distutils_hack"} == {"__main__", "keel"}



def test_starting_the_fork_server_loads_none_of_the_heavy_packages():
    # Issue 22: `keel serve` starts the workers' fork server first thing; loading structlog
    # for it (as keel.runtime.workers does) put its start ~250 ms after spawn instead of ~40.
    loaded = _run(
        "import json, sys\n"
        "from keel.app import bootstrap\n"
        "bootstrap.spare_core = lambda: True\n"
        "assert bootstrap.start_analysis_workers()\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))\n")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == []
