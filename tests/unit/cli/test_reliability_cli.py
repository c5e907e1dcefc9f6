"""`keel report` puts alerts first and warnings under the figures; `keel models [validate]`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
import typer
from typer.testing import CliRunner

from keel.cli import history, models
from keel.providers import registry_file
from keel.records import RunRecord
from keel.storage import StorageRecorder, database_path


@pytest.fixture(autouse=True)
def builtin_registry_and_logging():
    # `keel report` reconfigures structlog for the CLI; later tests expect theirs.
    saved = structlog.get_config()
    yield
    registry_file.install(None)
    structlog.configure(**saved)


@pytest.fixture
def cli() -> typer.Typer:
    fresh = typer.Typer()
    history.register(fresh)
    models.register(fresh)
    return fresh


def test_report_prints_alerts_first_and_warnings_under_the_figures(cli, tmp_path: Path):
    workspace, store = tmp_path / "ws", tmp_path / "store"
    workspace.mkdir()
    recorder = StorageRecorder(database_path(workspace, store))
    today = datetime.now(UTC).strftime("%Y-%m-%dT01:00:00Z")
    for n in range(20):
        status = "timedOut" if n < 3 else "succeeded"
        run = RunRecord(run_id=f"r{n}", workflow="review", target="a.py", status=status,
                        started_at=today, actual_usd=0.1, baseline_usd=0.0 if n == 5 else 0.3)
        recorder.run_started(run)
        recorder.run_finished(run)
    assert recorder.close(10)
    out = CliRunner().invoke(cli, ["report", "--workspace", str(workspace),
                                   "--storage-dir", str(store)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    text = out.output
    critical = text.index("CRITICAL workflow timeout rate is 15.0% (3 of 20)")
    assert critical < text.index("keel report: last 30 days") < text.index("reliability metrics")
    assert text.index("by day") < text.index("warning (baseline.unmeasured)")
    assert "Savings = baseline - actual cost" in text
    # Wire field names never reach a reader.
    assert not any(name in text for name in ("savingsUsd", "baselineUsd", "byProvider"))
    as_json = json.loads(CliRunner().invoke(cli, ["report", "--json", "--workspace",
                                                  str(workspace), "--storage-dir",
                                                  str(store)]).output)
    assert as_json["alerts"][0]["metric"] == "timeoutRate"
    assert as_json["warnings"][0]["code"] == "baseline.unmeasured"
    assert as_json["savingsUsd"] == round(19 * 0.3 - 19 * 0.1, 6)


def test_models_lists_each_tier_with_prices_and_dates(cli, tmp_path: Path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"providers": [{"id": "claude", "kind": "anthropic"}]}))
    out = CliRunner().invoke(cli, ["models", "--json", "--settings", str(settings),
                                   "--workspace", str(tmp_path)])
    assert out.exit_code == 0, out.output
    entries = json.loads(out.output)["entries"]
    assert [(e["provider"], e["tier"], e["model"]) for e in entries] == [
        ("claude", "cheap", "claude-haiku-4-5"), ("claude", "capable", "claude-sonnet-4-5"),
        ("claude", "premium", "claude-opus-4-5")]
    assert all(e["checked"] and e["inputUsdPerMtok"] > 0 for e in entries)


def test_models_validate_exits_1_when_a_check_fails_and_0_when_all_pass(cli, tmp_path: Path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"providers": [{"id": "claude", "kind": "anthropic"}]}))
    ok = CliRunner().invoke(cli, ["models", "validate", "--json", "--settings", str(settings),
                                  "--workspace", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    settings.write_text(json.dumps({"providers": [
        {"id": "claude", "kind": "anthropic", "models": {"premium": "claude-imaginary"}}]}))
    bad = CliRunner().invoke(cli, ["models", "validate", "--settings", str(settings),
                                   "--workspace", str(tmp_path)], env={"COLUMNS": "200"})
    assert bad.exit_code == 1 and "claude-imaginary" in bad.output


def test_alerts_and_warnings_print_brackets_as_text():
    from io import StringIO

    from rich.console import Console

    from keel.cli.reliability_view import print_alerts, print_warnings
    from keel.protocol import Alert, ReportWarning, UsageReport

    usage = UsageReport(days=1, runs=0, succeeded=0, failed=0, cancelled=0, timed_out=0,
                        success_rate=0, timeout_rate=0, fallback_rate=0, retry_amplification=0,
                        actual_usd=0, baseline_usd=0, savings_usd=0, alerts=[Alert(
                            metric="fallbackRate", level="warning", value=0.2, threshold=0.1,
                            message="fallback of providers[claude]", fix="edit [bold]x")],
                        warnings=[ReportWarning(code="c", message="model [m]", count=1)])
    out = StringIO()
    console = Console(file=out, width=200)
    print_alerts(usage, console)
    print_warnings(usage, console)
    text = out.getvalue()
    assert "providers[claude]" in text and "edit [bold]x" in text and "model [m]" in text


def test_a_bad_registry_file_is_a_config_exit_with_the_entry_named(cli, tmp_path: Path):
    (tmp_path / "reg.toml").write_text('[tiers.azure]\ncheap = "x"\n')
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"models": {"registryPath": "reg.toml"}}))
    out = CliRunner().invoke(cli, ["models", "validate", "--settings", str(settings),
                                   "--workspace", str(tmp_path)])
    assert out.exit_code == 3
    assert "reg.toml: tiers.azure: unknown provider kind" in out.output


def test_models_and_report_fit_80_columns_without_cutting_names_or_headers(cli, tmp_path: Path):
    from keel.protocol.settings import ProviderSettings
    from keel.providers.registry import resolve_model

    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"providers": [
        {"id": "claude-with-a-long-provider-id", "kind": "anthropic"},
        {"id": "oai", "kind": "openai"}]}))
    out = CliRunner().invoke(cli, ["models", "--settings", str(settings), "--workspace",
                                   str(tmp_path)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert "…" not in out.stdout and all(len(line) <= 80 for line in lines)
    for kind, pid in (("anthropic", "claude-with-a-long-provider-id"), ("openai", "oai")):
        for tier in ("cheap", "capable", "premium"):
            model = resolve_model(ProviderSettings(id=pid, kind=kind), tier).model
            assert any(line.strip() == model for line in lines), model  # whole, on its line
    workspace, store = tmp_path / "ws", tmp_path / "store"
    workspace.mkdir()
    recorder = StorageRecorder(database_path(workspace, store))
    today = datetime.now(UTC).strftime("%Y-%m-%dT01:00:00Z")
    run = RunRecord(run_id="r", workflow="security-audit", target="a.py", status="succeeded",
                    started_at=today, actual_usd=0.1, baseline_usd=0.3)
    recorder.run_started(run)
    recorder.run_finished(run)
    assert recorder.close(10)
    report = CliRunner().invoke(cli, ["report", "--workspace", str(workspace), "--storage-dir",
                                      str(store)], env={"COLUMNS": "80"})
    assert report.exit_code == 0, report.output
    assert "…" not in report.stdout and all(len(line) <= 80 for line in report.stdout.splitlines())
    for header in ("measured over", "target met", "fallbacks", "attempts", "savings", "MTTR"):
        assert header in report.stdout, header
