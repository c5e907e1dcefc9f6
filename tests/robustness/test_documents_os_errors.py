"""Every OS error reading a document or a target is a typed error naming the path and why (issue 21, 4).

The document reader used to know only not-found, permission and not-regular: a symlink
loop ``.py`` (ELOOP) or ``file:///…/a.py/x.py`` (ENOTDIR) came back as
``internal.unexpected``. Now each errno has a code, a reason in words and its name in
``data.reason``; a failing disk (EIO) is ``unavailable`` and transient.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from keel.app import documents
from keel.protocol.methods import ANALYZE, RUN_WORKFLOW

pytestmark = pytest.mark.timeout(60)


def workspace(served) -> Path:
    return served.app.workspace_folders[0]


def hostile_files(root: Path) -> dict[str, Path]:
    (root / "loop.py").symlink_to(root / "loop.py")
    (root / "a.py").write_text("x = 1\n")
    (root / "pkg.py").mkdir()
    return {"ELOOP": root / "loop.py", "ENOTDIR": root / "a.py" / "x.py", "EISDIR": root / "pkg.py"}


@pytest.mark.parametrize(("reason", "code"), [("ELOOP", "analysis.unreadable"),
                                              ("ENOTDIR", "analysis.unreadable"),
                                              ("EISDIR", "analysis.not_a_file")])
async def test_analyze_names_the_path_and_the_os_reason(served, reason, code):
    path = hostile_files(workspace(served))[reason]
    answer = await served.ask(1, ANALYZE, {"uri": path.as_uri()})
    error = answer.get("error")
    assert error is not None and error["code"] == -32602, answer
    assert error["data"]["code"] == code and error["data"]["field"] == "uri"
    assert path.name in error["message"]
    if code == "analysis.unreadable":
        assert error["data"]["reason"] == reason


@pytest.mark.parametrize(("number", "error_type", "code"), [
    (errno.EIO, "unavailable", "analysis.io_error"),
    (errno.ENAMETOOLONG, "validation", "analysis.unreadable"),
    (errno.ESTALE, "unavailable", "analysis.io_error"),
    (errno.EXDEV, "validation", "analysis.unreadable"),  # any errno: typed, never unexpected
])
async def test_a_failing_read_is_typed_by_errno(served, monkeypatch, number, error_type, code):
    (workspace(served) / "disk.py").write_text("x = 1\n")

    def failing(path, limit):
        raise OSError(number, "injected", str(path))

    monkeypatch.setattr(documents, "read_regular", failing)
    answer = await served.ask(2, ANALYZE, {"uri": (workspace(served) / "disk.py").as_uri()})
    data = answer["error"]["data"]
    assert (data["errorType"], data["code"]) == (error_type, code), answer
    assert data["reason"] == errno.errorcode[number] and "disk.py" in answer["error"]["message"]
    assert data["transient"] is (error_type == "unavailable")


@pytest.mark.parametrize("reason", ["ELOOP", "ENOTDIR"])
async def test_a_run_target_names_the_os_reason(served, reason):
    path = hostile_files(workspace(served))[reason]
    answer = await served.ask(3, RUN_WORKFLOW, {"workflow": "review", "target": path.as_uri()})
    error = answer["error"]
    assert error["data"]["code"] == "target.not_found" and error["data"]["reason"] == reason, answer
    assert path.name in error["message"]
