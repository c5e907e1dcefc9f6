"""keel/runWorkflow on a target with nothing to read is -32602 target.no_input, not an empty success;
keel/estimateCost of it is $0 with the same reason in noInput."""

from __future__ import annotations

import pytest

from keel.app.state import KeelApp
from keel.lsp.dispatch import DispatchError, dispatch


@pytest.fixture
def app(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.py").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "assets" / "README.md").write_text("# assets\n")
    (tmp_path / "empty").mkdir()
    a = KeelApp(worker_pool_size=1, workspace_folders=[tmp_path])
    yield a
    a.close()


@pytest.mark.parametrize(("target", "reason"), [("assets", "1 binary file"), ("empty", "no files")])
async def test_a_run_with_nothing_to_read_is_refused(app, target, reason):
    with pytest.raises(DispatchError) as info:
        await dispatch(app, "keel/runWorkflow", {"workflow": "review", "target": target}, 1)
    error = info.value.error
    assert error.code == "target.no_input" and error.details["field"] == "target"
    assert reason in error.message


async def test_the_estimate_of_such_a_target_is_zero_and_says_why(app):
    result = await dispatch(app, "keel/estimateCost", {"workflow": "review", "target": "assets"}, 2)
    assert result["files"] == 0 and result["usd"]["expected"] == 0
    assert "1 binary file" in result["noInput"] and "1 file not .py" in result["noInput"]
    assert result["skipped"]["notInput"] == 1
