"""The import-time budget per tier (docs/architecture.md, "Architecture invariants").

The fast start's tier is checked in test_fast_start.py. Here the real ``keel serve``
runs on stdio in a fresh interpreter that, once the server has stopped, writes the
names in ``sys.modules`` to a file: what answering the first request and what a run
loaded into the server process. ``initialized`` is not sent, so the warm-up (which
loads the rest on purpose, in the background) does not start.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from keel.rpc_client import KeelClient

pytestmark = pytest.mark.timeout(90)

SERVE_THEN_LIST_MODULES = (
    "import json, sys\n"
    "from keel.entry_hooks import install_entry_hooks\n"
    "from keel.cli.serve import serve_main\n"
    "install_entry_hooks()\n"  # what `keel serve` does first (keel.cli.main)
    "serve_main(['--stdio'])\n"
    "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n")

# Never in the server process: the provider SDKs are not used (httpx is), bandit runs as a
# `python -I` subprocess, typer and the CLI's typer app belong to the `keel` command.
NEVER = ("anthropic", "openai", "bandit", "typer", "keel.cli.app", "keel.chaos")
# Only when settings.telemetry.otlpEndpoint is set.
TELEMETRY = ("opentelemetry",)
# The analysis engine: in worker processes (and the server's warm-up, which is not started).
ANALYSIS = ("libcst", "keel.advisor")
# The run path: loaded by the first run or estimate, or the warm-up.
RUN_PATH = ("keel.app.run_ops", "keel.workflows", "keel.workflows.engine", "keel.cost", "keel.scan")


def _workspace(tmp_path: Path) -> tuple[str, Path]:
    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    return tmp_path.resolve().as_uri(), tmp_path / "modules.json"


async def _modules_loaded_by(tmp_path: Path, method: str, params: dict) -> set[str]:
    uri, listed = _workspace(tmp_path)
    client = await KeelClient.spawn([sys.executable, "-I", "-c", SERVE_THEN_LIST_MODULES, str(listed)])
    try:
        await client.request("initialize", {
            "processId": None, "rootUri": uri, "workspaceFolders": [{"uri": uri, "name": "w"}],
            "capabilities": {}, "initializationOptions": {}})
        await client.request(method, params, timeout=60)
    finally:
        assert await client.shutdown() == 0
    return set(json.loads(listed.read_text()))


def _present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


async def test_the_first_request_loads_neither_the_run_path_nor_the_analysis_engine(tmp_path):
    loaded = await _modules_loaded_by(tmp_path, "keel/health", {})
    assert {"pygls", "pydantic", "keel.lsp.dispatch"} <= loaded  # the loaded server answered
    assert _present(loaded, NEVER + TELEMETRY + ANALYSIS + RUN_PATH) == []


async def test_a_run_loads_the_run_path_but_leaves_the_analysis_to_the_workers(tmp_path):
    loaded = await _modules_loaded_by(tmp_path, "keel/runWorkflow", {"workflow": "review", "target": "a.py"})
    assert set(RUN_PATH) <= loaded
    assert _present(loaded, NEVER + TELEMETRY + ANALYSIS) == []


def test_the_early_server_s_dispatch_path_loads_neither_pygls_nor_lsprotocol():
    # Issue 22: held keel/* requests are served once the app exists, through the same
    # dispatch as the loaded server, before pygls and lsprotocol (~40 % of the load) are in.
    import subprocess

    script = ("import json, sys\n"
              "from keel.entry_hooks import install_entry_hooks\n"
              "install_entry_hooks()\n"  # what `keel serve` does first (keel.cli.main)
              "import keel.lsp.early_serve, keel.lsp.dispatch, keel.lsp.errors\n"
              "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                          check=True, cwd="/")
    loaded = set(json.loads(done.stdout))
    # attrs too (10-20 ms): pygls's messages are attrs classes, the early server's answers are not.
    assert not {m for m in loaded if m.split(".")[0] in ("pygls", "lsprotocol", "cattrs", "attr", "attrs")}
    assert _present(loaded, NEVER + TELEMETRY + ANALYSIS + RUN_PATH) == []
    # structlog's optional renderer (~50 ms): httpx's CLI loads it later, after `initialized`.
    assert "rich" not in loaded and "structlog" in loaded
