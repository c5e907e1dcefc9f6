from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from keel.cli.estimate import register
from keel.cost.estimate import estimate_cost
from keel.errors import DeadlineExceeded, InvalidInput
from keel.protocol.settings import Settings
from keel.providers.registry import MODEL_PRICES, TIER_DEFAULTS
from keel.scan.cache import EstimateCache
from keel.workflows.definitions import get_workflow

from .conftest import write

WORKFLOWS_TOML = """
[[workflow]]
id = "t"
inputs = [".py"]
  [[workflow.stage]]
  id = "lint"
  kind = "static"
  analyzer = "advisor"
  [[workflow.stage]]
  id = "ask"
  kind = "llm"
  tier = "capable"
  prompt = "p"
  output_tokens = 100
  chunk_tokens = 1000
  [[workflow.stage]]
  id = "small"
  kind = "llm"
  tier = "capable"
  prompt = "p"
  output_tokens = 50
  chunk_tokens = 256
  downgrade_under_tokens = 5000
  max_calls = 2
  skip_when = "no_findings"
"""

ANTHROPIC = Settings.model_validate({"providers": [{
    "id": "main", "kind": "anthropic",
    "models": {"cheap": "claude-haiku-4-5", "capable": "claude-sonnet-4-5"},
}]})
KEY = {"ANTHROPIC_API_KEY": "test-key"}


def usd(model: str, tokens_in: int, tokens_out: int) -> float:
    price = MODEL_PRICES[model]
    return (tokens_in * price.input_usd_per_mtok + tokens_out * price.output_usd_per_mtok) / 1e6


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    write(tmp_path, ".keel/workflows.toml", WORKFLOWS_TOML)
    write(tmp_path, "pkg/a.py", "x" * 4000)  # 830 tokens
    write(tmp_path, "pkg/b.py", "x" * 2000)  # 415 tokens
    write(tmp_path, "pkg/readme.md", "x" * 9000)  # not an input of "t"
    return tmp_path.resolve()


def run(ws: Path, settings: Settings, environ: dict, cache=None, **kw):
    return estimate_cost("t", Path("pkg"), ws, settings, cache=cache or EstimateCache(),
                         calibration=kw.pop("calibration", None), environ=environ, **kw)


def test_per_stage_tokens_and_prices(ws: Path) -> None:
    result = run(ws, ANTHROPIC, KEY)
    lint, ask, small = result.stages
    assert (lint.id, lint.usd, lint.input_tokens, lint.provider) == ("lint", 0.0, 0, None)
    # ask: 1,245 code tokens in chunks of 1,000 -> [1000, 245]; + 2 x 400 overhead
    assert (ask.tier, ask.provider, ask.model) == ("capable", "main", "claude-sonnet-4-5")
    assert (ask.input_tokens, ask.output_tokens) == (2045, 200)
    assert ask.usd == pytest.approx(usd("claude-sonnet-4-5", 2045, 200), rel=1e-9)
    # small: chunks of 256, capped at the 2 largest; under 5,000 tokens -> cheap tier
    assert (small.tier, small.model) == ("cheap", "claude-haiku-4-5")
    assert (small.input_tokens, small.output_tokens) == (1312, 100)
    assert small.usd == pytest.approx(usd("claude-haiku-4-5", 1312, 100), rel=1e-9)
    assert "cheap tier" in small.note and "capped at 2 calls" in small.note
    assert "static stages find nothing" in small.note
    wire = result.wire()
    assert (wire["files"], wire["bytes"], wire["codeTokens"]) == (2, 6000, 1245)
    assert (wire["inputTokens"], wire["outputTokens"]) == (3357, 300)
    expected = ask.usd + small.usd
    assert wire["usd"]["expected"] == pytest.approx(expected, abs=1e-6)
    assert wire["usd"]["low"] == pytest.approx(expected * 0.65, abs=1e-6)
    assert wire["usd"]["high"] == pytest.approx(expected * 1.35, abs=1e-6)
    assert wire["target"] == "pkg"
    assert "ifConfigured" not in wire
    assert wire["method"].startswith("heuristic:code-bytes-v1")


def test_stages_come_from_the_shared_definition(ws: Path) -> None:
    result = estimate_cost("review", ws, ws, ANTHROPIC, cache=EstimateCache(),
                           calibration=None, environ=KEY)
    definition = get_workflow("review", ws)
    assert [s.id for s in result.stages] == [s.id for s in definition.stages]
    llm_ids = [s.id for s in definition.stages if s.kind == "llm"]
    assert [s.id for s in result.stages if s.provider == "main"] == llm_ids


def test_offline_headline_is_zero_and_reference_is_quoted(ws: Path) -> None:
    result = run(ws, Settings(), environ={})
    wire = result.wire()
    assert wire["usd"] == {"low": 0.0, "expected": 0.0, "high": 0.0}
    ask = wire["stages"][1]
    assert (ask["provider"], ask["usd"]) == ("offline", 0.0)
    default_capable = TIER_DEFAULTS["anthropic"]["capable"]
    assert ask["ifConfiguredModel"] == default_capable
    assert ask["ifConfiguredUsd"] == pytest.approx(usd(default_capable, 2045, 200), abs=1e-6)
    assert ask["note"].startswith("would be skipped: no provider is configured")
    assert wire["ifConfigured"]["provider"] == "anthropic (not configured)"
    total = ask["ifConfiguredUsd"] + wire["stages"][2]["ifConfiguredUsd"]
    assert wire["ifConfigured"]["usd"]["expected"] == pytest.approx(total, abs=1e-6)


def test_configured_provider_without_key_is_quoted_not_charged(ws: Path) -> None:
    wire = run(ws, ANTHROPIC, environ={}).wire()
    assert wire["usd"]["expected"] == 0.0
    assert wire["ifConfigured"]["provider"] == "main (no API key)"
    assert "no configured provider has an API key set" in wire["stages"][1]["note"]


def test_first_provider_that_can_serve_is_priced(ws: Path) -> None:
    settings = Settings.model_validate({"providers": [
        {"id": "oa", "kind": "openai", "models": {"capable": "gpt-4.1"}},
        {"id": "main", "kind": "anthropic"},
    ]})
    ask = run(ws, settings, KEY).stages[1]  # no OPENAI_API_KEY: the fallback serves
    assert (ask.provider, ask.model) == ("main", TIER_DEFAULTS["anthropic"]["capable"])


def test_unknown_model_price_is_flagged(ws: Path) -> None:
    settings = Settings.model_validate({"providers": [
        {"id": "main", "kind": "anthropic", "models": {"capable": "claude-future-9"}}]})
    ask = run(ws, settings, KEY).wire()["stages"][1]
    assert ask["model"] == "claude-future-9"
    assert ask["priceKnown"] is False
    assert "no known price" in ask["note"]


def test_cached_files_and_calibrated_band(ws: Path) -> None:
    cache = EstimateCache(racy_window_ns=0)
    assert run(ws, ANTHROPIC, KEY, cache=cache).cached_files == 0
    second = run(ws, ANTHROPIC, KEY, cache=cache, calibration=(6, 10.0))
    assert second.cached_files == 2
    assert second.usd.high == pytest.approx(second.usd.expected * 1.1, abs=1e-6)
    assert "observed over 6 past stages" in second.method


def test_skipped_files_are_reported(ws: Path) -> None:
    write(ws, "pkg/blob.py", b"\x00\x01")
    write(ws, "pkg/huge.py", "x" * 5000)
    wire = run(ws, ANTHROPIC, KEY, max_file_bytes=4500).wire()
    assert wire["skippedFiles"] == 2
    assert (wire["skipped"]["binary"], wire["skipped"]["large"]) == (1, 1)
    assert wire["files"] == 2  # readme.md is not an input, so it is neither read nor skipped


def test_deadline_raises_instead_of_a_partial_figure(ws: Path) -> None:
    with pytest.raises(DeadlineExceeded):
        run(ws, ANTHROPIC, KEY, should_stop=lambda: True)


def test_unknown_workflow_and_outside_target(ws: Path, tmp_path_factory) -> None:
    with pytest.raises(InvalidInput) as caught:
        estimate_cost("nope", ws, ws, Settings(), cache=EstimateCache(), calibration=None)
    assert caught.value.code == "workflow.unknown"
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.raises(InvalidInput) as caught:
        estimate_cost("t", elsewhere, ws, Settings(), cache=EstimateCache(), calibration=None)
    assert caught.value.code == "target.outside_workspace"


def cli_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root, so that subcommands keep their names as under `keel`."""

    register(app)
    return app


def test_cli_json(ws: Path) -> None:
    result = CliRunner().invoke(cli_app(), ["estimate", "t", "pkg", "-w", str(ws), "--json"],
                                env={"ANTHROPIC_API_KEY": ""})
    assert result.exit_code == 0, result.output
    wire = json.loads(result.stdout)
    assert [s["id"] for s in wire["stages"]] == ["lint", "ask", "small"]
    assert (wire["files"], wire["inputTokens"]) == (2, 3357)


def test_cli_table_and_errors(ws: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(cli_app(), ["estimate", "t", "pkg", "-w", str(ws)])
    assert table.exit_code == 0, table.output
    for text in ("ask", "small", "2,045", "would be skipped", "if configured"):
        assert text in table.stdout
    unknown = runner.invoke(cli_app(), ["estimate", "nope", "pkg", "-w", str(ws)])
    assert unknown.exit_code == 2
    assert "Unknown workflow" in unknown.stderr
    outside = runner.invoke(cli_app(), ["estimate", "t", "/", "-w", str(ws)])
    assert outside.exit_code == 2
