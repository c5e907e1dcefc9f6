"""The advisor's result cache is bounded by findings as well as entries."""

from __future__ import annotations

from pathlib import Path

from keel.app import advisor_ops
from keel.app.documents import SourceText
from keel.app.state import KeelApp

MANY = "".join(f"def f{i}(x=[]):\n    return x == None\n" for i in range(40))


class InlinePool:
    async def run(self, fn, *args):
        return fn(*args)

    def close(self) -> None:
        pass


async def test_cache_evicts_oldest_entries_past_the_findings_budget(monkeypatch, tmp_path):
    app = KeelApp(workspace_folders=[tmp_path])
    app.workers.close()
    app.workers = InlinePool()  # type: ignore[assignment]
    sources = [SourceText(f"file:///m{i}.py", MANY + f"# {i}\n", None, Path(f"/m{i}.py"))
               for i in range(4)]
    first, _ = await advisor_ops.analyze_text(app, sources[0])
    per_file = len(first.findings)
    assert per_file >= 40
    monkeypatch.setattr(advisor_ops, "CACHE_FINDINGS", per_file * 2)
    for source in sources[1:]:
        await advisor_ops.analyze_text(app, source)
    state = app.advisor
    assert len(state.cache) == 2 and state.cached_findings == per_file * 2
    _, cached = await advisor_ops.analyze_text(app, sources[3])
    assert cached is True
    _, cached = await advisor_ops.analyze_text(app, sources[0])
    assert cached is False  # evicted


async def test_an_answer_bigger_than_the_budget_is_not_cached_and_evicts_nothing(monkeypatch, tmp_path):
    """Issue 22: one 50k-line answer evicted every entry and stayed cached (tens of MB) for good."""
    app = KeelApp(workspace_folders=[tmp_path])
    app.workers.close()
    app.workers = InlinePool()  # type: ignore[assignment]
    small = SourceText("file:///small.py", MANY, None, Path("/small.py"))
    big = SourceText("file:///big.py", MANY * 4, None, Path("/big.py"))
    first, _ = await advisor_ops.analyze_text(app, small)
    monkeypatch.setattr(advisor_ops, "CACHE_FINDINGS", len(first.findings) * 2)
    outcome, cached = await advisor_ops.analyze_text(app, big)
    assert cached is False and len(outcome.findings) > len(first.findings) * 2
    assert list(app.advisor.cache) != [] and app.advisor.cached_findings == len(first.findings)
    _, cached = await advisor_ops.analyze_text(app, small)
    assert cached is True
    _, cached = await advisor_ops.analyze_text(app, big)
    assert cached is False


def test_finding_ids_of_past_versions_are_matched_whole(tmp_path):
    versions = ["\nrule-aaa\nrule-bbb\n"]
    assert advisor_ops._seen_before("rule-aaa", versions)
    assert not advisor_ops._seen_before("rule-a", versions)  # a prefix is not an id
    assert not advisor_ops._seen_before("aaa\nrule-bbb", versions)  # nor two ids joined
