"""Real code (standard library modules): radon's complexity, and fixes that round-trip."""

from __future__ import annotations

import importlib
import inspect

import pytest
from advisor_testlib import URI, fix_round_trip, radon_complexities

from keel.advisor.engine import analyze_source, function_complexities
from keel.advisor.fixes import FIXABLE_RULES

MODULES = ["argparse", "ast", "configparser", "dataclasses", "difflib", "email.message",
           "json.decoder", "pathlib", "shutil", "tarfile", "textwrap", "typing", "pydoc",
           "http.server", "logging.handlers", "asyncio.base_events", "timeit", "cgi"]


def _source(name: str) -> str:
    try:
        module = importlib.import_module(name)
    except ImportError:  # e.g. cgi is gone in 3.13
        pytest.skip(f"{name} is not importable here")
    return inspect.getsource(module)


@pytest.mark.parametrize("name", MODULES)
def test_complexity_matches_radon(name):
    source = _source(name)
    mine = {info.lineno: info.complexity for info in function_complexities(source)}
    radon = radon_complexities(source)
    assert radon
    assert {line: mine.get(line) for line in radon} == radon


@pytest.mark.parametrize("name", MODULES)
def test_fixes_round_trip(name):
    source = _source(name)
    seen: dict[str, int] = {}
    for finding in analyze_source(source, URI).findings:
        if not finding.fixable or seen.get(finding.rule, 0) >= 2:
            continue
        assert finding.rule in FIXABLE_RULES
        seen[finding.rule] = seen.get(finding.rule, 0) + 1
        fix_round_trip(source, finding)
