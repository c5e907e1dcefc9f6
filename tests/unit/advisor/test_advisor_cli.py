"""`keel analyze`, registered on a fresh typer app."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from keel.cli.analyze import register

CODE = "import os\n\n\ndef f(x=[]):\n    return x\n"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Root (so that 'analyze' stays a subcommand)."""

    return app


def test_listing(tmp_path):
    path = tmp_path / "sample.py"
    path.write_text(CODE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert str(path) in out
    assert "1:8  warning  unused-import  'os' is imported but never used." in out
    assert "4:9  warning  mutable-default-argument" in out
    assert "1 file(s) analysed, 2 finding(s): 0 error(s), 2 warning(s)" in out


def test_json_output_is_analysis_results_by_alias(tmp_path):
    clean = tmp_path / "clean.py"
    clean.write_text("def f(x):\n    return x\n", encoding="utf-8")
    dirty = tmp_path / "dirty.py"
    dirty.write_text(CODE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", str(clean), str(dirty), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [item["uri"] for item in data] == [clean.resolve().as_uri(), dirty.resolve().as_uri()]
    assert data[0]["findings"] == []
    assert data[0]["metrics"]["maxComplexity"] == 1 and data[0]["cached"] is False
    assert "durationMs" in data[1]
    finding = data[1]["findings"][0]
    assert finding["rule"] == "unused-import"
    assert finding["range"] == {"start": {"line": 0, "character": 7},
                                "end": {"line": 0, "character": 9}}
    assert {"id", "title", "message", "severity", "category", "uri", "fixable"} <= finding.keys()


def test_errors_go_to_stderr_with_the_exit_code_of_the_error(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    good = tmp_path / "good.py"
    good.write_text(CODE, encoding="utf-8")
    missing = tmp_path / "missing.py"
    result = CliRunner().invoke(_app(), ["analyze", str(broken), str(missing), str(good)])
    assert result.exit_code == 2
    assert "analysis.syntax_error" in result.stderr and "line 1" in result.stderr
    assert "target.not_found" in result.stderr
    assert "mutable-default-argument" in result.stdout  # the good file is still analysed
    assert "analysis.syntax_error" not in result.stdout


def test_source_encoding_cookie_is_respected(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    result = CliRunner().invoke(_app(), ["analyze", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["metrics"]["lines"] == 2
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff\xfe'\n")
    result = CliRunner().invoke(_app(), ["analyze", str(bad)])
    assert result.exit_code == 2 and "analysis.decode_error" in result.stderr


def test_directory_means_its_python_files(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "pkg" / "notes.txt").write_text("not python", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.py").write_text(CODE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [item["uri"] for item in json.loads(result.stdout)] == [
        (tmp_path / "pkg" / "a.py").resolve().as_uri()]


FIXABLE = "import os\n\n\ndef f(x=[]):\n    y = 1\n    return x\n    print('dead')\n"


def test_fix_applies_only_safe_fixes_and_reports_what_is_left(tmp_path):
    path = tmp_path / "fixme.py"
    path.write_text(FIXABLE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--fix", str(path)])
    # unused-variable and unreachable-code are safe; unused-import and the default are not
    assert path.read_text(encoding="utf-8") == "import os\n\n\ndef f(x=[]):\n    return x\n"
    assert "Fixed 2 finding(s) in 1 file(s)" in result.stderr
    assert "1 unreachable-code (safe)" in result.stderr and "2 finding(s) left" in result.stderr
    assert result.exit_code == 1  # findings remain, like ruff


def test_unsafe_fixes_and_select_by_code(tmp_path):
    path = tmp_path / "fixme.py"
    path.write_text(FIXABLE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--fix", "--unsafe-fixes", "--select",
                                         "F401", str(path)])
    assert path.read_text(encoding="utf-8") == FIXABLE.replace("import os\n\n\n", "\n\n")
    assert "1 unused-import (unsafe)" in result.stderr and result.exit_code == 0


def test_diff_writes_nothing_and_exits_1_when_something_would_change(tmp_path):
    path = tmp_path / "fixme.py"
    path.write_text(FIXABLE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--diff", str(path)])
    assert path.read_text(encoding="utf-8") == FIXABLE
    assert "-    y = 1" in result.stdout and "-    print('dead')" in result.stdout
    assert result.exit_code == 1 and "Would fix 2 finding(s)" in result.stderr
    clean = tmp_path / "clean.py"
    clean.write_text("def f(x):\n    return x\n", encoding="utf-8")
    assert CliRunner().invoke(_app(), ["analyze", "--diff", str(clean)]).exit_code == 0


def test_pyproject_rules_thresholds_and_exclude(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.keel.advisor]\nexclude = ["tests/"]\nrules = { "F401" = false }\n', encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(CODE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--json", str(tmp_path)])
    data = json.loads(result.stdout)
    assert [item["uri"].rsplit("/", 2)[-2:] for item in data] == [["src", "a.py"]]
    assert [f["rule"] for f in data[0]["findings"]] == ["mutable-default-argument"]


def test_a_bad_pyproject_key_is_a_warning_naming_it_and_the_rest_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.keel.advisor]\nthresholds = { maxReturns = 0 }\nrules = { "F401" = false }\n',
        encoding="utf-8")
    (tmp_path / "a.py").write_text("import os\n" + CODE, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["analyze", "--json", str(tmp_path)])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "thresholds.maxReturns" in result.stderr and "pyproject.toml" in result.stderr
    rules = {f["rule"] for item in json.loads(result.stdout) for f in item["findings"]}
    assert "unused-import" not in rules  # the valid rules table still applies


def test_unknown_select_or_ignore_rule_is_a_usage_error_naming_the_nearest_rule(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import os\n")
    for option, typo, near in (("--select", "unused-imprt", "unused-import"),
                               ("--ignore", "F41", "F841"),
                               ("--select", "unused-import,bare-excep", "bare-except")):
        result = CliRunner().invoke(_app(), ["analyze", option, typo, str(path)])
        assert result.exit_code == 2, result.output
        assert option in result.output and near in result.output
        assert "no findings" not in result.output
    result = CliRunner().invoke(_app(), ["analyze", "--select", "zzzz", str(path)])
    assert result.exit_code == 2 and "'zzzz'" in result.output


def test_ignore_leaves_rules_out(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(CODE)
    result = CliRunner().invoke(_app(), ["analyze", "--json", "--ignore", "F401", str(path)])
    assert result.exit_code == 0
    assert [f["rule"] for f in json.loads(result.stdout)[0]["findings"]] == [
        "mutable-default-argument"]
