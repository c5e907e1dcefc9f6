"""Help that reads like help, reports that add up, doctor --network that says what it checked."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from keel.cli.app import app
from keel.cli.history import _print_report
from keel.protocol import UsageBreakdown, UsageReport

COMMANDS = [[], ["doctor"], ["analyze"], ["workflows"], ["run"], ["estimate"], ["history"], ["models"], ["models", "validate"],
            ["history", "show"], ["history", "cleanup"], ["report"], ["chaos"], ["chaos", "serve"]]
PLACEHOLDER = re.compile(r"<(bool|str|path|int|float|int range|float range)>|list\[|\[x>=|<=x<=")


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) or "keel" for c in COMMANDS])
def test_help_has_no_type_placeholders(args):
    text = _help(args)
    assert not PLACEHOLDER.search(text), text


@pytest.mark.parametrize(("args", "usage"), [
    (["run"], "Usage: keel run [OPTIONS] WORKFLOW TARGET"),
    (["estimate"], "Usage: keel estimate [OPTIONS] WORKFLOW TARGET"),
    (["analyze"], "Usage: keel analyze [OPTIONS] FILE..."),
    (["history", "show"], "Usage: keel history show [OPTIONS] RUN_ID"),
    (["history"], "Usage: keel history [OPTIONS] [COMMAND [ARGS]...]"),
])
def test_the_usage_line_names_arguments_as_the_docstring_does(args, usage):
    assert usage in _help(args)


@pytest.mark.parametrize("args", [["doctor"], ["analyze"], ["workflows"], ["run"], ["estimate"], ["models"],
                                  ["history"], ["report"]])
def test_every_command_takes_workspace_and_verbose(args):
    text = _help(args)
    assert "--workspace" in text and "-w" in text and "--verbose" in text


def _usage(**fields) -> UsageReport:
    base = dict(days=30, runs=0, succeeded=0, failed=0, cancelled=0, timed_out=0,
                success_rate=0.0, timeout_rate=0.0, fallback_rate=0.0, retry_amplification=0.0,
                actual_usd=0.0, baseline_usd=0.0, savings_usd=0.0)
    return UsageReport(**{**base, **fields})


def _printed(usage: UsageReport, monkeypatch) -> str:
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setattr("keel.cli.history.Console", lambda: console)
    _print_report(usage)
    return console.export_text()


def test_report_counts_partial_runs_so_the_statuses_add_up(monkeypatch):
    text = _printed(_usage(runs=7, succeeded=6, partial=1, success_rate=6 / 7), monkeypatch)
    assert re.search(r"partial\s+│\s+1", text), text


def test_report_shows_a_dash_for_rates_without_data(monkeypatch):
    text = _printed(_usage(), monkeypatch)
    for measure in ("success rate", "timeout rate", "fallback rate", "retry amplification"):
        assert re.search(measure + r"\s+│\s+–", text), text
    assert "0.0%" not in text


def test_report_leaves_out_the_pseudo_provider_none(monkeypatch):
    usage = _usage(runs=3, succeeded=3, success_rate=1.0,
                   by_provider=[UsageBreakdown(key="none", runs=3),
                                UsageBreakdown(key="openai", calls=2, succeeded=2, success_rate=1.0)])
    text = _printed(usage, monkeypatch)
    assert "openai" in text and not re.search(r"│ none\s", text)


def test_doctor_network_says_what_it_checked_without_providers(tmp_path):
    result = CliRunner().invoke(app, ["doctor", "-w", str(tmp_path), "--network", "--json"])
    report = json.loads(result.stdout)
    network = [c for c in report["checks"] if c["id"].startswith("network")]
    assert network and "no model provider is configured" in network[0]["message"]


def _finding(message: str, line: int = 0):
    from keel.protocol.advisor import Finding

    return Finding.model_validate({
        "id": f"f{line}", "title": "Long function", "category": "size",
        "uri": "file:///w/a.py", "rule": "long-function", "severity": "warning",
        "message": message, "range": {"start": {"line": line, "character": 0},
                                      "end": {"line": line, "character": 1}}})


def test_the_markdown_report_quotes_what_it_shows_and_says_how_to_see_the_rest():
    from rich.markdown import Markdown

    from keel.errors import Cancelled
    from keel.workflows.report import MAX_FINDINGS_LISTED, render_markdown
    from keel.workflows.state import RunState, StageState

    stage = StageState(id="static", title="Static analysis", kind="static", status="cancelled",
                       note="ran on the cheap tier", error=Cancelled("Stopped.", code="run.cancelled"))
    stage.findings = [_finding("<module> is 300 lines; *args unused", n)
                      for n in range(MAX_FINDINGS_LISTED + 40)]
    state = RunState(run_id="r-1", workflow="review", target="a.py", stages=[stage], files=1)
    markdown = render_markdown(state, "cancelled", {"file:///w/a.py": "a.py"}, "bad <input> here")
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(Markdown(markdown))
    text = console.export_text()
    assert "<module> is 300 lines; *args unused" in text
    summary = text.splitlines()[text.splitlines().index(
        next(line for line in text.splitlines() if line.strip().startswith("Cancelled:")))]
    assert "Error:" not in summary and "Error: bad <input> here" in text
    # The status is said once, as a word; the internal code never reaches the reader.
    assert text.count("Cancelled") == 1 and "run.cancelled" not in text
    assert "Showing the 200 most severe of 240 findings" in text
    assert "keel/runFindings (run r-1)" in text and "keel run ... --json" in text


def test_the_report_groups_findings_by_file_with_line_ranges_that_80_columns_never_cut():
    from rich.markdown import Markdown

    from keel.protocol.advisor import Finding
    from keel.workflows.report import render_markdown
    from keel.workflows.state import RunState, StageState

    deep = "src/requests/adapters/very/deeply/nested/package/module_name.py"
    rel = {"file:///w/a.py": "a.py", f"file:///w/{deep}": deep}

    def finding(uri: str, first: int, last: int) -> Finding:
        return Finding.model_validate({
            "id": f"{uri}{first}", "title": "t", "category": "size", "uri": uri,
            "rule": "long-function-with-a-long-rule-name", "severity": "warning",
            "message": "a long message " * 8,
            "range": {"start": {"line": first, "character": 0},
                      "end": {"line": last, "character": 1}}})

    stage = StageState(id="static", title="Static analysis", kind="static", status="succeeded")
    stage.findings = [finding("file:///w/a.py", 4, 9), finding(f"file:///w/{deep}", 119, 119),
                      finding("file:///w/a.py", 0, 0)]
    state = RunState(run_id="r", workflow="review", target=".", stages=[stage], files=2)
    markdown = render_markdown(state, "succeeded", rel)
    assert markdown.count("### a.py (2)") == 1 and f"### {deep.replace('_', chr(92) + '_')} (1)" \
        in markdown
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(Markdown(markdown))
    text = console.export_text()
    for location in ("a.py:1", "a.py:5-10", f"{deep}:120"):
        assert any(location in line for line in text.splitlines()), location
    assert text.index("a.py:1 ") < text.index("a.py:5-10")


def test_the_estimate_explains_its_range_in_words(tmp_path):
    from keel.cli.estimate import calibration_in_words
    from keel.cost.calibration import Calibration

    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    result = CliRunner().invoke(app, ["estimate", "review", "a.py", "-w", str(tmp_path)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "The range is ±35 %, a default guess: once 5 model stages have run here (0 so far)" \
        in result.stdout
    assert "past stages needed" not in result.stdout
    assert calibration_in_words(Calibration(12, 18.0)).startswith(
        "The range is ±18 %: the mean error of this workspace's past estimates, measured on 12")


def test_the_estimate_table_says_when_a_run_would_be_refused(tmp_path):
    from keel.cli.estimate import render_table
    from keel.protocol.cost import CostEstimate

    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    wire = json.loads(CliRunner().invoke(
        app, ["estimate", "review", "a.py", "-w", str(tmp_path), "--json"]).stdout)
    wire["noInput"] = "No Python file to read in 'docs'."
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    render_table(CostEstimate.model_validate(wire), console)
    assert "note: No Python file to read in 'docs'." in console.export_text()
