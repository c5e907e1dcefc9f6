"""End to end: `keel` started inside a hostile repository imports none of its modules.

`python -m keel` puts its working directory first on sys.path, and so does the
`python -c` that multiprocessing starts for the fork server: a repository's
`pydantic.py` ran inside the real server and `libcst.py` inside the fork
server. (A shadow `keel/` package is found before `keel/__main__.py` can act;
only the spawner can stop that, with `-I`: the extension does.)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from keel.rpc_client import KeelClient

from .helpers import server_env, until_serving

pytestmark = pytest.mark.timeout(120)

# Modules the server, its fork server or its workers import (third-party and standard library).
SHADOWED = ("psutil", "structlog", "yaml", "pydantic", "libcst", "pygls", "anyio", "radon",
            "typer", "httpx", "json", "sqlite3", "multiprocessing", "concurrent")
BANDIT_BAIT = "import subprocess\nsubprocess.call(input(), shell=True)\n"


def hostile_repository(root: Path, markers: Path) -> Path:
    """A repository whose every module writes a marker file when imported."""
    root.mkdir()
    markers.mkdir()
    for name in SHADOWED:
        code = f"open({str(markers / name)!r}, 'w').close()\n"
        if name in ("multiprocessing", "concurrent", "json", "sqlite3"):  # packages
            (root / name).mkdir()
            (root / name / "__init__.py").write_text(code)
        else:
            (root / f"{name}.py").write_text(code)
    (root / "app.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n" + BANDIT_BAIT)
    return root


def hostile_env(tmp_path) -> dict[str, str]:
    env = server_env(tmp_path)
    for name in ("PYTHONSAFEPATH", "PYTHONPATH"):  # nothing from the test's own environment helps
        env.pop(name, None)
    return env


@pytest.mark.parametrize("entry", ["python -m keel", "keel script"])
async def test_a_server_started_in_a_hostile_repository_imports_none_of_it(tmp_path, entry):
    markers = tmp_path / "markers"
    repo = hostile_repository(tmp_path / "repo", markers)
    command = ([sys.executable, "-m", "keel"] if entry == "python -m keel"
               else [str(Path(sys.executable).with_name("keel"))])
    process = await asyncio.create_subprocess_exec(
        *command, "serve", "--log-level", "warning", cwd=repo, env=hostile_env(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, limit=2**24)
    client = KeelClient(process)
    try:
        await client.initialize(str(repo), {"workspaceTrusted": True})
        await until_serving(lambda: client.request("keel/health"))
        uri = (repo / "app.py").as_uri()
        analysis = await client.request("keel/analyze", {"uri": uri}, timeout=60)  # the worker pool
        run = await client.request("keel/runWorkflow",  # bandit, the bug rules, the fork server
                                   {"workflow": "security-audit", "target": "app.py"}, timeout=90)
    finally:
        await client.shutdown()
    assert sorted(p.name for p in markers.iterdir()) == []
    assert analysis["findings"] is not None
    bandit = next(s for s in run["stages"] if s["id"] == "bandit")
    assert bandit["status"] == "succeeded"
    assert "B602" in {f["rule"] for f in run["report"]["findings"]}


def test_a_cli_command_in_a_hostile_repository_imports_none_of_it(tmp_path):
    markers = tmp_path / "markers"
    repo = hostile_repository(tmp_path / "repo", markers)
    done = subprocess.run([sys.executable, "-m", "keel", "doctor"], cwd=repo,
                          env=hostile_env(tmp_path), capture_output=True, timeout=60, check=False)
    assert sorted(p.name for p in markers.iterdir()) == [], done.stderr.decode()[-2000:]
    assert b"Traceback" not in done.stderr


async def test_the_script_clients_server_ignores_a_shadow_keel_package_in_its_folder(tmp_path, monkeypatch):
    """`keel.rpc_client` starts the server with -I: only that stops a repository's own `keel/`."""
    markers = tmp_path / "markers"
    repo = hostile_repository(tmp_path / "repo", markers)
    (repo / "keel").mkdir()
    for name in ("__init__", "__main__"):
        (repo / "keel" / f"{name}.py").write_text(f"open({str(markers / ('keel.' + name))!r}, 'w').close()\n")
    monkeypatch.chdir(repo)
    client = await KeelClient.spawn(env=hostile_env(tmp_path))
    try:
        await client.initialize(str(repo))
        health = await until_serving(lambda: client.request("keel/health"))
    finally:
        await client.shutdown()
    assert sorted(p.name for p in markers.iterdir()) == []
    assert health["version"]
