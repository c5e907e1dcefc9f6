"""keel/analyze and keel/generateFix read only the workspace or what the client opened."""

from __future__ import annotations

import pytest

from keel.app import advisor_ops
from keel.app.documents import python_source
from keel.app.ports import DocumentText
from keel.app.state import KeelApp
from keel.errors import InvalidInput
from keel.protocol.advisor import GenerateFixParams

pytestmark = pytest.mark.timeout(30)
SECRET = "API_TOKEN = 'hunter2'\n"


class Opened:
    """The client's open documents."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs

    def get(self, uri: str) -> DocumentText | None:
        text = self.docs.get(uri)
        return None if text is None else DocumentText(uri=uri, text=text, version=1)


@pytest.fixture
def layout(tmp_path):
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    (workspace / "inside.py").write_text("x = 1\n")
    (outside / "secret.py").write_text(SECRET)
    return workspace, outside


@pytest.fixture
def app(layout):
    made = KeelApp(workspace_folders=[layout[0]])
    yield made
    made.close()


async def outside_refused(app: KeelApp, uri: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await python_source(app, uri)
    assert caught.value.code == "analysis.outside_workspace"
    assert caught.value.details == {"field": "uri"}
    assert "hunter2" not in caught.value.message


async def test_a_file_outside_every_workspace_folder_is_refused(app, layout):
    await outside_refused(app, (layout[1] / "secret.py").as_uri())


async def test_a_dot_dot_escape_is_refused(app, layout):
    await outside_refused(app, layout[0].as_uri() + "/../outside/secret.py")


async def test_a_symlinked_file_that_escapes_is_refused(app, layout):
    workspace, outside = layout
    (workspace / "link.py").symlink_to(outside / "secret.py")
    await outside_refused(app, (workspace / "link.py").as_uri())


async def test_a_symlinked_folder_that_escapes_is_refused(app, layout):
    workspace, outside = layout
    (workspace / "vendor").symlink_to(outside, target_is_directory=True)
    await outside_refused(app, (workspace / "vendor" / "secret.py").as_uri())


async def test_a_symlink_that_stays_inside_is_read(app, layout):
    workspace, _ = layout
    (workspace / "alias.py").symlink_to(workspace / "inside.py")
    assert (await python_source(app, (workspace / "alias.py").as_uri())).text == "x = 1\n"


async def test_files_inside_are_read_with_or_without_localhost(app, layout):
    workspace, _ = layout
    path = workspace / "inside.py"
    assert (await python_source(app, path.as_uri())).text == "x = 1\n"
    assert (await python_source(app, f"file://localhost{path}")).text == "x = 1\n"


@pytest.mark.parametrize("uri", ["file://evil/share/x.py", "file://evil.example:445/c$/x.py",
                                 "file://user@evil/x.py"])
async def test_a_uri_with_a_host_is_refused(app, uri):
    with pytest.raises(InvalidInput) as caught:
        await python_source(app, uri)
    assert caught.value.code == "params.invalid_uri" and caught.value.details == {"field": "uri"}
    assert "host" in caught.value.message


async def test_a_document_the_client_opened_is_read_wherever_it_is(app, layout):
    uri = (layout[1] / "secret.py").as_uri()
    app.documents = Opened({uri: "y = 2\n"})
    assert (await python_source(app, uri)).text == "y = 2\n"


async def test_without_a_workspace_folder_only_opened_documents_are_read(layout):
    app = KeelApp()
    uri = (layout[0] / "inside.py").as_uri()
    try:
        await outside_refused(app, uri)
        app.documents = Opened({uri: "z = 3\n"})
        assert (await python_source(app, uri)).text == "z = 3\n"
    finally:
        app.close()


async def test_generate_fix_refuses_an_outside_file_too(app, layout):
    with pytest.raises(InvalidInput) as caught:
        await advisor_ops.generate_fix(app, GenerateFixParams(
            uri=(layout[1] / "secret.py").as_uri(), finding_id="anything"))
    assert caught.value.code == "analysis.outside_workspace"


async def test_the_working_directory_is_not_a_workspace_folder(layout, monkeypatch):
    # KeelApp.workspace_root falls back to the working directory; reads must not.
    monkeypatch.chdir(layout[1])
    app = KeelApp()
    try:
        await outside_refused(app, (layout[1] / "secret.py").as_uri())
    finally:
        app.close()
