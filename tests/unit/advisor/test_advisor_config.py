"""advisor.rules / advisor.exclude / thresholds from settings and [tool.keel.advisor]."""

from __future__ import annotations

import pytest

from keel.advisor.config import pyproject_table, resolve
from keel.app.advisor_config import excludes, find_config
from keel.errors import ConfigError
from keel.protocol import AdvisorSettings

PYPROJECT = """
[tool.keel.advisor]
exclude = ["tests/"]
rules = { "F401" = false, "shadowed-builtin" = false }
thresholds = { maxReturns = 8, maxNesting = 3 }
"""


def test_pyproject_applies_and_explicit_settings_win():
    settings = AdvisorSettings.model_validate(
        {"thresholds": {"maxNesting": 5}, "rules": {"shadowed-builtin": True, "B006": False},
         "exclude": ["docs/"]})
    config = resolve(settings, pyproject_table(PYPROJECT))
    assert config.thresholds.max_returns == 8 and config.thresholds.max_nesting == 5
    assert config.disabled == {"unused-import", "mutable-default-argument"}
    assert excludes(config, "tests/test_a.py") and excludes(config, "docs/conf.py")
    assert not excludes(config, "src/a.py")


def test_defaults_without_a_file():
    config = resolve(None, {})
    assert config.disabled == frozenset() and not excludes(config, "tests/a.py")
    assert config.thresholds.max_returns == 6


def test_find_config_uses_the_workspace_folder_holding_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    path = tmp_path / "tests" / "test_a.py"
    config, relative = find_config(path, [tmp_path / "elsewhere", tmp_path])
    assert relative == "tests/test_a.py" and excludes(config, relative)


def test_a_bad_key_of_the_table_is_named_and_dropped_and_the_rest_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.keel.advisor]\nrulez = {}\nexclude = ["tests/"]\n'
        'thresholds = { maxReturns = 0, maxNesting = 7 }\n', encoding="utf-8")
    config, _ = find_config(tmp_path / "a.py", [tmp_path])
    assert config.exclude == ("tests/",) and config.thresholds.max_nesting == 7
    assert config.thresholds.max_returns == 6  # the default, for the bad value alone
    where = str(tmp_path / "pyproject.toml")
    assert sorted(config.problems) == [
        f"{where}: tool.keel.advisor.rulez: unknown setting (did you mean 'rules'?); ignored",
        f"{where}: tool.keel.advisor.thresholds.maxReturns: Input should be greater than or "
        "equal to 1; using the default"]


async def test_the_server_says_once_what_it_ignored_and_clears_it_when_fixed(tmp_path):
    from keel.app import advisor_ops
    from keel.app.state import KeelApp
    from keel.protocol.advisor import AnalyzeParams

    (tmp_path / "pyproject.toml").write_text("[tool.keel.advisor]\nrulez = {}\n", encoding="utf-8")
    (tmp_path / "a.py").write_text("import os\n", encoding="utf-8")
    app = KeelApp(workspace_folders=[tmp_path], worker_pool_size=1, workspace_trusted=True)
    shown: list[str] = []
    app.notifier.show_message = lambda level, text: shown.append(text)  # type: ignore[method-assign]
    try:
        app.apply_settings({}, "settings")
        params = AnalyzeParams(uri=(tmp_path / "a.py").as_uri())
        found = await advisor_ops.analyze(app, params)
        assert [f.rule for f in found.findings] == ["unused-import"]  # analysed all the same
        await advisor_ops.analyze(app, params)
        config = app.monitor.component("config")
        assert config.status == "degraded" and "tool.keel.advisor.rulez" in config.detail
        assert len(shown) == 1 and "did you mean 'rules'" in shown[0]
        (tmp_path / "pyproject.toml").write_text("[tool.keel.advisor]\nrules = {}\n",
                                                 encoding="utf-8")
        await advisor_ops.analyze(app, params)
        assert app.monitor.component("config").status == "ok"
    finally:
        await app.aclose()


@pytest.mark.parametrize(("text", "says"), [
    ("[tool.keel.advisor\n", "not valid TOML"),
    ("[tool.keel]\nadvisor = 3\n", "must be a table"),
])
def test_bad_pyproject_names_what_is_wrong_and_where(tmp_path, text, says):
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path / "a.py", [tmp_path])
    assert says in info.value.message and "pyproject.toml" in info.value.message


def test_a_fifo_named_pyproject_is_an_error_not_a_hang(tmp_path):
    import os

    os.mkfifo(tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path / "a.py", [tmp_path])
    assert "FIFO" in info.value.message


def test_a_pyproject_symlinked_outside_the_workspace_is_not_read(tmp_path):
    """A repository's ``pyproject.toml -> ~/elsewhere/pyproject.toml`` made the server read a
    file of the user's outside the workspace (issue 19: the server reads only what it was given)."""
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    (outside / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (workspace / "pyproject.toml").symlink_to(outside / "pyproject.toml")
    with pytest.raises(ConfigError) as info:
        find_config(workspace / "tests" / "test_a.py", [workspace])
    assert "outside the workspace folder" in info.value.message
    assert info.value.details == {"field": str(workspace / "pyproject.toml")}


def test_a_pyproject_symlinked_inside_the_workspace_is_read(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "keel.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "pyproject.toml").symlink_to(tmp_path / "shared" / "keel.toml")
    config, relative = find_config(tmp_path / "tests" / "test_a.py", [tmp_path])
    assert excludes(config, relative)
