from __future__ import annotations

from pathlib import Path

import pytest

from keel.errors import InvalidInput
from keel.targets import display_target, resolve_target

from .conftest import write


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root, "src/a.py", "a")
    write(tmp_path, "outside/secret.py", "a")
    return root.resolve()


def test_relative_target_resolves_against_the_first_folder(ws: Path, tmp_path: Path) -> None:
    other = tmp_path / "second"
    other.mkdir()
    assert resolve_target("src/a.py", [ws, other]) == ws / "src" / "a.py"


def test_absolute_and_file_uri_targets(ws: Path) -> None:
    assert resolve_target(str(ws / "src"), [ws]) == ws / "src"
    assert resolve_target((ws / "src" / "a.py").as_uri(), [ws]) == ws / "src" / "a.py"
    assert resolve_target("file://localhost" + str(ws / "src"), [ws]) == ws / "src"


def test_uri_with_escaped_characters(ws: Path) -> None:
    write(ws, "my dir/b.py", "a")
    uri = (ws / "my dir" / "b.py").as_uri()
    assert "%20" in uri
    assert resolve_target(uri, [ws]) == ws / "my dir" / "b.py"


def test_target_in_a_second_workspace_folder_is_accepted(ws: Path, tmp_path: Path) -> None:
    second = (tmp_path / "outside").resolve()
    assert resolve_target(str(second / "secret.py"), [ws, second]) == second / "secret.py"


@pytest.mark.parametrize("target", ["../outside/secret.py", "/etc", "src/../../outside"])
def test_outside_every_folder_is_refused(ws: Path, target: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_target(target, [ws])
    assert caught.value.code == "target.outside_workspace"


def test_symlink_pointing_outside_is_refused(ws: Path, tmp_path: Path) -> None:
    (ws / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(InvalidInput) as caught:
        resolve_target("escape/secret.py", [ws])
    assert caught.value.code == "target.outside_workspace"


def test_symlink_inside_is_followed(ws: Path) -> None:
    (ws / "alias").symlink_to(ws / "src", target_is_directory=True)
    assert resolve_target("alias/a.py", [ws]) == ws / "src" / "a.py"


def test_missing_target(ws: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_target("src/nope.py", [ws])
    assert caught.value.code == "target.not_found"


def test_remote_uri_is_refused(ws: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_target("file://server/share/a.py", [ws])
    assert caught.value.code == "target.invalid_uri"


def test_display_is_relative_posix(ws: Path) -> None:
    assert display_target(ws / "src" / "a.py", ws) == "src/a.py"
    assert display_target(ws, ws) == "."


@pytest.mark.parametrize("make_target", [
    lambda ws: (ws / "src").as_uri() + "/a%00.py",  # a NUL that only appears once decoded
    lambda ws: "src/" + "n" * 5000 + ".py",  # one name longer than NAME_MAX
    lambda ws: (ws / "src").as_uri() + "/" + "n" * 5000,
    lambda ws: "src/" + "d/" * 2100,  # short names, but the path exceeds PATH_MAX
    lambda ws: "src/\ud800.py",  # a lone surrogate (valid JSON, no file can be named so)
])
def test_hostile_paths_are_invalid_input_naming_the_target(ws: Path, make_target) -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_target(make_target(ws), [ws])
    assert info.value.details == {"field": "target"}
    assert info.value.code in ("params.invalid", "params.path_too_long")


@pytest.mark.parametrize("uri", ["file:///ws/a%00.py", "file:///ws/" + "n" * 5000 + ".py"])
def test_hostile_uris_are_invalid_input_naming_the_uri(uri: str) -> None:
    from keel.targets import path_of_uri

    with pytest.raises(InvalidInput) as info:
        path_of_uri(uri)
    assert info.value.details == {"field": "uri"}
