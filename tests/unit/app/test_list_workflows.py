"""keel/listWorkflows: user workflows only when trusted; a broken file degrades config, not the list."""

from __future__ import annotations

from keel.app.run_ops import list_workflows
from keel.app.state import KeelApp
from keel.protocol.workflows import ListWorkflowsParams

USER = """
[[workflow]]
id = "docs"
profile = "tolerant"
  [[workflow.stage]]
  id = "static"
  kind = "static"
  analyzer = "advisor"
"""


def _app(tmp_path, text: str, trusted: bool = True) -> KeelApp:
    ws = tmp_path / "ws"
    (ws / ".keel").mkdir(parents=True)
    (ws / ".keel" / "workflows.toml").write_text(text)
    app = KeelApp(workspace_folders=[ws], worker_pool_size=1, workspace_trusted=trusted)
    return app


async def test_user_workflows_are_listed_only_in_a_trusted_workspace(tmp_path):
    trusted = _app(tmp_path, USER)
    ids = [w.id for w in (await list_workflows(trusted, ListWorkflowsParams())).workflows]
    assert "docs" in ids and "review" in ids
    untrusted = KeelApp(workspace_folders=trusted.workspace_folders, worker_pool_size=1,
                        workspace_trusted=False)
    ids = [w.id for w in (await list_workflows(untrusted, ListWorkflowsParams())).workflows]
    assert "docs" not in ids and "review" in ids
    trusted.close()
    untrusted.close()


async def test_a_broken_file_lists_the_builtins_and_names_the_field(tmp_path):
    app = _app(tmp_path, USER.replace('profile = "tolerant"', 'profile = "reckless"'))
    shown: list[str] = []
    app.notifier.show_message = lambda level, text: shown.append(text)  # type: ignore[method-assign]
    result = await list_workflows(app, ListWorkflowsParams())
    assert {w.id for w in result.workflows} == {"review", "security-audit", "bug-predict",
                                                "refactor-plan", "summarize"}
    config = app.monitor.component("config")
    assert config.status == "degraded" and "workflow[0].profile" in config.detail
    assert len(shown) == 1 and ".keel/workflows.toml" in shown[0]
    app.close()
