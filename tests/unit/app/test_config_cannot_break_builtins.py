"""A broken .keel/workflows.toml never breaks the built-ins: list, run and estimate all work,
and `config` is degraded with one message naming the file."""

from __future__ import annotations

import os

import anyio
import pytest

from keel.app.cost_ops import estimate_cost
from keel.app.run_ops import list_workflows, run_workflow
from keel.app.state import KeelApp
from keel.protocol.cost import EstimateCostParams
from keel.protocol.workflows import ListWorkflowsParams, RunWorkflowParams
from keel.workflows.definitions import BUILTIN_WORKFLOWS

from ..workflows.test_user_defined import TWO_STAGES


def _fifo(path) -> None:
    os.mkfifo(path)


BROKEN = {
    "invalid-utf8": lambda p: p.write_bytes(b'[[workflow]]\nid = "caf\xe9"\n'),
    "deep-nesting": lambda p: p.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n"),
    "malformed": lambda p: p.write_text("[[workflow]\n"),
    "duplicate-ids": lambda p: p.write_text(TWO_STAGES),  # its one workflow is dropped
    "fifo": _fifo,
}


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture(params=sorted(BROKEN))
def app(request, tmp_path, messages):
    if request.param == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs (POSIX)")
    ws = tmp_path / "ws"
    (ws / ".keel").mkdir(parents=True)
    (ws / "mod.py").write_text("def f(x):\n    return x\n")
    BROKEN[request.param](ws / ".keel" / "workflows.toml")
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1, workspace_trusted=True)  # the file is read
    app.notifier.show_message = lambda level, text: messages.append(text)  # type: ignore[method-assign]
    app.apply_settings({}, "settings")
    yield app
    app.close()


async def test_list_run_and_estimate_keep_the_builtins(app, messages):
    with anyio.fail_after(60):  # a hang guard (a FIFO read blocks forever), not a timing goal
        listed = await list_workflows(app, ListWorkflowsParams())
        result = await run_workflow(app, RunWorkflowParams(workflow="review", target="mod.py"))
        cost = await estimate_cost(app, EstimateCostParams(workflow="review", target="mod.py"))
    assert {w.id for w in listed.workflows} == set(BUILTIN_WORKFLOWS)
    assert result.status == "partial" and result.error is None  # offline: the LLM stage skips
    assert cost.files == 1
    config = app.monitor.component("config")
    assert config.status == "degraded" and ".keel/workflows.toml" in config.detail
    assert len(messages) == 1 and ".keel/workflows.toml" in messages[0]


async def test_settings_becoming_valid_does_not_hide_the_broken_file(app, messages):
    await estimate_cost(app, EstimateCostParams(workflow="review", target="mod.py"))
    app.apply_settings({"logLevel": "info"}, "settings")
    assert app.monitor.component("config").status == "degraded"
    (app.workspace_root / ".keel" / "workflows.toml").unlink()
    await list_workflows(app, ListWorkflowsParams())
    assert app.monitor.component("config").status == "ok"
