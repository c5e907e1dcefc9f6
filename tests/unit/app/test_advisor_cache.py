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
