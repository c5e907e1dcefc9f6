"""The engine's contract: outcome shape, metrics, positions, errors, pickling."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
from advisor_testlib import URI, covered, findings, src

from keel.advisor.engine import AnalysisOutcome, analyze_source
from keel.errors import InvalidInput, exit_code_for
from keel.protocol import AdvisorThresholds, AnalysisResult

CODE = src('''
    """Module doc."""
    import os

    # a comment


    def f(x, y=[]):
        if x:
            return 1
        return 2


    class K:
        def m(self):
            return os.sep
''')


def test_outcome_shape_and_metrics():
    outcome = analyze_source(CODE, URI)
    assert isinstance(outcome, AnalysisOutcome)
    m = outcome.metrics
    assert (m.lines, m.functions, m.classes, m.max_complexity, m.code_lines) == (15, 2, 1, 2, 9)
    assert [f.rule for f in outcome.findings] == ["mutable-default-argument"]
    finding = outcome.findings[0]
    assert finding.uri == URI and finding.title and finding.rationale and finding.suggestion
    result = AnalysisResult(uri=URI, findings=outcome.findings, metrics=outcome.metrics,
                            cached=False, duration_ms=1)
    wire = result.wire()
    assert wire["metrics"] == {"lines": 15, "functions": 2, "maxComplexity": 2, "classes": 1,
                               "codeLines": 9}
    assert wire["findings"][0]["range"] == {"start": {"line": 6, "character": 11},
                                            "end": {"line": 6, "character": 13}}


def test_thresholds_default_and_explicit():
    code = "def f(a, b, c, d, e, f):\n    pass\n"
    assert len(findings(code, "too-many-parameters")) == 1
    assert findings(code, "too-many-parameters", max_parameters=6) == []
    assert analyze_source(code, URI, AdvisorThresholds()).findings == analyze_source(
        code, URI).findings


def test_empty_and_comment_only_sources():
    for code in ("", "\n", "# only a comment\n"):
        outcome = analyze_source(code, URI)
        assert outcome.findings == []
        assert outcome.metrics.functions == 0 and outcome.metrics.code_lines == 0


def test_findings_are_sorted_by_position():
    outcome = analyze_source(CODE + "\ndef g(z={}):\n    return z\n", URI)
    starts = [(f.range.start.line, f.range.start.character) for f in outcome.findings]
    assert starts == sorted(starts)


def test_non_ascii_columns_are_utf16_and_crlf_lines_count():
    code = 'def f():\r\n    s = "é😀"; x = [] or {} or () or 1 or 2\r\n    return s\r\n'
    found = findings(code, "long-boolean-expression")
    assert len(found) == 1
    # 'é' is one UTF-16 unit and '😀' two (four UTF-8 bytes): 'x' sits at code unit 15
    start = found[0].range.start
    assert (start.line, start.character) == (1, 19)
    assert covered(code, found[0]) == "[] or {} or () or 1 or 2"
    assert findings(code, "unused-variable")[0].range.start.character == 15


def test_syntax_error_details():
    code = "def f(:\n    pass\n"
    with pytest.raises(InvalidInput) as info:
        analyze_source(code, URI)
    err = info.value
    assert err.code == "analysis.syntax_error"
    assert err.details == {"line": 0, "character": 6}
    assert "line 1" in err.message and "column 7" in err.message and "1-based" in err.message
    assert exit_code_for(err) == 2
    data = err.to_error_data()
    assert data["line"] == 0 and data["errorType"] == "validation"


def test_syntax_error_after_non_ascii_text_reports_utf16_column():
    with pytest.raises(InvalidInput) as info:
        analyze_source('s = "😀" +* 2\n', URI)
    assert info.value.details == {"line": 0, "character": 10}


def test_null_bytes_are_a_syntax_error():
    with pytest.raises(InvalidInput) as info:
        analyze_source("x = 1\x00\n", URI)
    assert info.value.code == "analysis.syntax_error"


@pytest.mark.parametrize(("code", "error_code"), [
    ("x = " + "-" * 200_000 + "1\n", "analysis.too_complex"),
    ("x = " + " + ".join(["a"] * 100_000) + "\n", "analysis.too_complex"),
    ("x = " + "(" * 300 + ")" * 300 + "\n", "analysis.syntax_error"),  # the parser's own limit
])
def test_pathologically_nested_code(code, error_code):
    with pytest.raises(InvalidInput) as info:
        analyze_source(code, URI)
    assert info.value.code == error_code
    assert exit_code_for(info.value) == 2


def test_deep_expression_chains_that_parse_are_analysed_without_recursion():
    code = "def f(a):\n    return " + " + ".join(["a"] * 2_000) + "\n"
    assert analyze_source(code, URI).metrics.functions == 1


def test_outcome_pickles_and_runs_in_a_worker_process():
    outcome = analyze_source(CODE, URI)
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(analyze_source, CODE, URI).result(timeout=60)
    assert remote == outcome


def test_large_file_is_analysed():
    block = src('''
        def handler_{n}(request, items=None):
            """Handle it."""
            total = 0
            for item in items or []:
                if item.ok and request.user:
                    total += item.price
                elif item.skip:
                    continue
            try:
                return total / len(items)
            except ZeroDivisionError:
                return 0
    ''')
    code = "\n\n".join(block.replace("{n}", str(n)) for n in range(2_000))
    outcome = analyze_source(code, URI)
    assert outcome.metrics.functions == 2_000
    assert outcome.metrics.lines > 25_000
    # identical bodies: every later copy duplicates the first
    assert len([f for f in outcome.findings if f.rule == "duplicate-code"]) == 1_999
