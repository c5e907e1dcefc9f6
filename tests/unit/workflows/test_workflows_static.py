"""Bug-pattern rules, prompts within budget, chunking identical to the estimator's, bandit parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keel.protocol.advisor import Finding
from keel.protocol.base import Position, Range
from keel.scan.tokens import count_tokens
from keel.workflows.analyzers.bandit_runner import parse_report, run_bandit
from keel.workflows.analyzers.bugs import find_bugs
from keel.workflows.definitions import StageDef
from keel.workflows.planning import chunk_sizes
from keel.workflows.prompts import build_chunks, build_prompt
from keel.workflows.sources import SourceFile


def rules(source: str) -> list[str]:
    return [hit.rule for hit in find_bugs(source, every_rule=True)]


@pytest.mark.parametrize(("source", "expected"), [
    ("x is 1\n", ["is-literal"]),
    ("x is not 'a'\n", ["is-literal"]),
    ("x is None\nx is True\n", []),
    ("x == None\n", ["eq-none"]),
    ("assert (x, 'msg')\n", ["assert-tuple"]),
    ("assert x, 'msg'\n", []),
    ("y = f'text'\n", ["fstring-no-placeholder"]),
    ("y = f'{x:>10}'\n", []),
    ("d = {'a': 1, 'b': 2, 'a': 3}\n", ["duplicate-dict-key"]),
    ("d = {1: 1, True: 2}\n", []),
    ("try:\n    f()\nexcept:\n    pass\n", ["bare-except"]),  # the advisor's rule
    ("try:\n    f()\nexcept Exception:\n    pass\n", ["swallowed-exception"]),
    ("try:\n    f()\nexcept KeyError:\n    pass\n", []),
    ("try:\n    f()\nexcept Exception:\n    log(1)\n", []),
    ("if a.b == a.b:\n    pass\n", ["self-comparison"]),
    ("if a == b:\n    pass\n", []),
    ("class C:\n    items = []\n    def f(self):\n        self.items.append(1)\n",
     ["mutable-class-attribute"]),
    ("class C:\n    items = []\n", []),  # a table no method changes: configuration
    ("class C:\n    ITEMS = []\n    n = 0\n", []),
    ("@dataclass\nclass C:\n    items: list = field(default_factory=list)\n", []),
])
def test_bug_rules(source, expected):
    assert rules(source) == expected


def test_bug_hits_carry_positions():
    (hit,) = find_bugs("a = 1\nif a == None:\n    pass\n", every_rule=True)
    assert (hit.line, hit.col, hit.end_line, hit.end_col) == (2, 3, 2, 12)
    assert hit.severity == "warning" and hit.rule == "eq-none"


def _files(tmp_path: Path, sizes: list[int]) -> tuple[list[SourceFile], dict[str, str]]:
    files, texts = [], {}
    for index, lines in enumerate(sizes):
        text = "".join(f"value_{index}_{n} = compute({n}, 'x' * {n})\n" for n in range(lines))
        rel = f"m{index}.py"
        (tmp_path / rel).write_text(text)
        files.append(SourceFile(rel, tmp_path / rel, count_tokens(text), len(text)))
        texts[rel] = text
    return files, texts


@pytest.mark.parametrize("max_calls", [None, 2])
def test_chunks_match_the_estimators_packing(tmp_path, max_calls):
    stage = StageDef("s", "S", "llm", tier="cheap", prompt="Review.", chunk_tokens=500,
                     max_calls=max_calls)
    files, texts = _files(tmp_path, [10, 120, 3, 60])
    chunks = build_chunks(stage, files, texts)
    assert [c.tokens for c in chunks] == chunk_sizes(stage, [f.tokens for f in files])
    if max_calls is None:
        # every line of every file is sent exactly once, in order
        sent = {}
        for chunk in chunks:
            for piece in chunk.pieces:
                sent[piece.rel_path] = sent.get(piece.rel_path, "") + piece.text
        assert sent == texts


def test_prompt_stays_within_budget_and_drops_findings_that_do_not_fit(tmp_path):
    stage = StageDef("s", "S", "llm", tier="cheap", prompt="Review this code carefully.",
                     chunk_tokens=400, prompt_overhead_tokens=200)
    files, texts = _files(tmp_path, [80])
    uri = files[0].uri
    findings = [
        Finding(id=f"r-{n}", rule="rule", title="t", message="something is wrong here " * 3,
                severity="warning" if n else "error", category="c", uri=uri,
                range=Range(start=Position(line=n, character=0), end=Position(line=n, character=1)))
        for n in range(40)
    ]
    chunks = build_chunks(stage, files, texts)
    rel_by_uri = {uri: files[0].rel_path}
    longest_line = max(count_tokens(line) for line in texts["m0.py"].splitlines())
    for chunk in chunks:
        prompt, dropped = build_prompt(stage, chunk, findings, rel_by_uri)
        assert count_tokens(prompt) <= chunk.tokens + stage.prompt_overhead_tokens + longest_line
        assert dropped > 0 and f"(and {dropped} more not shown)" in prompt
        assert "[error]" in prompt  # the most severe finding is kept first


def test_bandit_report_parsing():
    report = {"results": [{"filename": "/w/a.py", "test_id": "B602", "test_name": "subprocess_popen",
                           "issue_text": "shell=True", "issue_severity": "HIGH",
                           "issue_confidence": "HIGH", "line_number": 3, "col_offset": 4,
                           "end_col_offset": 20, "issue_cwe": {"id": 78}}]}
    (issue,) = parse_report(json.dumps(report).encode())
    assert (issue.test_id, issue.severity, issue.line, issue.cwe) == ("B602", "error", 3, 78)


async def test_bandit_subprocess_finds_shell_injection(tmp_path):
    target = tmp_path / "bad.py"
    target.write_text("import subprocess\nsubprocess.call(input(), shell=True)\n")
    issues = await run_bandit([target])
    assert "B602" in {i.test_id for i in issues}
