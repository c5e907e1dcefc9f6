"""The measured figures in docs/performance.md and the README come from bench/results/latest.json.

`scripts/bench.sh` writes the JSON and regenerates both blocks and the plots; these tests fail
when a committed block drifts from what the committed results render to.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "suite"))

import render  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"


def _block(text: str, begin: str, end: str) -> str:
    start, stop = text.index(begin), text.index(end)
    return text[start:stop + len(end)]


@pytest.fixture(scope="module")
def results() -> dict:
    return json.loads(RESULTS.read_text())


def test_performance_doc_block_matches_the_committed_results(results):
    committed = _block((ROOT / "docs" / "performance.md").read_text(), render.BEGIN, render.END)
    assert committed == render.render_performance(results), "run `python bench/suite/render.py`"


def test_readme_claims_match_the_committed_results(results):
    committed = _block((ROOT / "README.md").read_text(), render.CLAIMS_BEGIN, render.CLAIMS_END)
    assert committed == render.render_claims(results), "run `python bench/suite/render.py`"


def test_reliability_fault_matrix_matches_the_committed_results(results):
    committed = _block((ROOT / "docs" / "reliability.md").read_text(), render.FAULTS_BEGIN,
                       render.FAULTS_END)
    assert committed == render.render_faults(results), "run `python bench/suite/render.py`"
    assert "a provider hangs" in committed


def test_every_plot_the_doc_shows_exists():
    text = (ROOT / "docs" / "performance.md").read_text()
    images = re.findall(r"\]\((perf/[^)]+\.svg)\)", text)
    assert images, "the generated block shows no plot"
    for image in images:
        assert (ROOT / "docs" / image).is_file(), image


def test_results_record_machine_and_load(results):
    assert results["machine"]["cores"] >= 1
    assert len(results["loadAverageBefore"]) == 3 and len(results["loadAverageAfter"]) == 3
    assert set(results["sections"]) >= {"perClick", "firstClick", "analysis", "estimate",
                                         "resilience", "memory", "curves", "robustness"}


def test_a_failed_section_is_reported_not_hidden(results):
    broken = json.loads(json.dumps(results))
    broken["sections"]["estimate"] = {"error": "TimeoutError: estimate refused"}
    text = render.render_performance(broken)
    assert "Not measured: TimeoutError: estimate refused" in text


def test_claims_say_what_the_fuzz_run_found(results):
    fuzzed = json.loads(json.dumps(results))
    fuzzed["sections"]["robustness"] = {"messages": 10, "cases": 2, "crashes": 1, "deaf_states": 0}
    assert "1 crashes" in render.render_claims(fuzzed) and "DIED" in render.render_claims(fuzzed)


def test_slope_says_how_cost_grows():
    points = [{"x": 1_000, "y": 10.0}, {"x": 10_000, "y": 1000.0}]
    assert "2.00" in render._slopes(points, "x", "y")  # 100× the cost for 10× the input
