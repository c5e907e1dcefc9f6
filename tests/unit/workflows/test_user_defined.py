"""Whatever .keel/workflows.toml holds, what is wrong ends as one config error naming the file, field and
line, and the file degrades per workflow: the valid workflows beside a broken one stay."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keel.errors import ConfigError
from keel.workflows.definitions import BUILTIN_WORKFLOWS, load_catalog
from keel.workflows.user_defined import MAX_WORKFLOWS_BYTES, user_workflows

GOOD = """
[[workflow]]
id = "docs"
  [[workflow.stage]]
  id = "static"
  kind = "static"
  analyzer = "advisor"
"""

TWO_WORKFLOWS = GOOD + GOOD.replace('id = "static"', 'id = "lint"')
TWO_STAGES = GOOD + """
  [[workflow.stage]]
  id = "static"
  kind = "static"
  analyzer = "bugs"
"""


def _write(root: Path, content: bytes | str) -> Path:
    path = root / ".keel" / "workflows.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _problem(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        user_workflows(root)
    error = info.value
    assert error.code == "config.workflows_invalid"
    assert error.details["file"] == ".keel/workflows.toml"
    assert error.message.startswith(".keel/workflows.toml")
    return error


def test_a_valid_file_adds_its_workflows(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    assert user_workflows(tmp_path) == (user_workflows(tmp_path)[0], None)
    assert set(user_workflows(tmp_path)[0]) == {"docs"}


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.encode() + b'\ntitle = "caf\xe9"\n')
    error = _problem(tmp_path)
    assert "UTF-8" in error.message and error.details["line"] == GOOD.count("\n") + 2


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000])
def test_deep_nesting_is_a_config_error(tmp_path: Path, value: str) -> None:
    _write(tmp_path, f"x = {value}\n")
    assert "nested too deeply" in _problem(tmp_path).message


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path, "[[workflow]]\nid = \"a\"\n[[workflow]\n")
    assert _problem(tmp_path).details["line"] == 3


def _dropped(root: Path) -> tuple[set[str], ConfigError]:
    valid, error = user_workflows(root)
    assert error is not None and error.code == "config.workflows_invalid"
    assert error.message.startswith(".keel/workflows.toml")
    return set(valid), error


def test_a_duplicate_workflow_id_names_the_field_and_line_and_the_first_is_kept(tmp_path: Path) -> None:
    _write(tmp_path, TWO_WORKFLOWS)
    valid, error = _dropped(tmp_path)
    assert valid == {"docs"}
    assert error.details["field"] == "workflow[1].id" and "'docs'" in error.message
    assert error.details["line"] == TWO_WORKFLOWS.splitlines().index('id = "docs"', 3) + 1


def test_a_duplicate_stage_id_names_the_field_and_line_and_drops_that_workflow(tmp_path: Path) -> None:
    _write(tmp_path, TWO_STAGES)
    valid, error = _dropped(tmp_path)
    assert valid == set()
    assert error.details["field"] == "workflow[0].stage[1].id"
    lines = TWO_STAGES.splitlines()
    assert error.details["line"] == len(lines) - lines[::-1].index('  id = "static"')


def test_an_oversized_file_is_not_read(tmp_path: Path) -> None:
    _write(tmp_path, GOOD + "#" * MAX_WORKFLOWS_BYTES)
    assert "larger than" in _problem(tmp_path).message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_fifo_is_a_config_error_naming_the_path_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / ".keel").mkdir()
    os.mkfifo(tmp_path / ".keel" / "workflows.toml")
    assert "FIFO" in _problem(tmp_path).message


def test_a_directory_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".keel" / "workflows.toml").mkdir(parents=True)
    assert "directory" in _problem(tmp_path).message


def test_no_file_or_a_keel_file_instead_of_a_folder_means_no_user_workflows(tmp_path: Path) -> None:
    assert user_workflows(tmp_path) == ({}, None)
    (tmp_path / ".keel").write_text("not a folder")
    assert user_workflows(tmp_path) == ({}, None)


def test_the_catalog_keeps_the_builtins_and_carries_the_problem(tmp_path: Path) -> None:
    _write(tmp_path, TWO_STAGES)
    catalog = load_catalog(tmp_path)
    assert set(catalog.workflows) == set(BUILTIN_WORKFLOWS)
    assert catalog.get("review") is BUILTIN_WORKFLOWS["review"]
    with pytest.raises(ConfigError):
        catalog.get("docs")  # defined by the dropped entry: its error, not "unknown"


BROKEN_BESIDE_GOOD = GOOD.replace('id = "docs"', 'id = "docs"\ntitel = "Docs"') + """
[[workflow]]
id = "fast"
  [[workflow.stage]]
  id = "quick"
  kind = "llm"
  tier = "fastest"
  prompt = "Be quick."
"""


def test_one_broken_workflow_costs_only_itself_and_an_unknown_key_only_itself(tmp_path: Path) -> None:
    _write(tmp_path, BROKEN_BESIDE_GOOD)
    catalog = load_catalog(tmp_path)
    assert set(catalog.workflows) == set(BUILTIN_WORKFLOWS) | {"docs"}
    problem = catalog.problem
    assert problem is not None
    assert problem.details["field"] == "workflow[0].titel"  # the first problem, by field
    assert "(+1 more)" in problem.message and "Workflow entry 1 is not used; the others are." in problem.message
    with pytest.raises(ConfigError):
        catalog.get("fast")
