"""One engine, measured: the review workflow's static stages and keel/analyze on the same files.

For every ``*.py`` under DIR (default: Keel's own ``server/keel``), runs the review
workflow's two static stages (``stages_static.advisor_batch`` with the stage scopes,
as a run does) and the analysis ``keel/analyze`` runs (``analyze_source`` with the
module loader and the workspace import index), and prints how many findings
(uri, rule, severity, message, range) each gives and how many are identical.
Goal: ``only_workflow`` and ``only_analyze`` both 0.

    python bench/advisor_engines.py [DIR]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from keel.advisor.engine import analyze_source  # noqa: E402
from keel.errors import InvalidInput  # noqa: E402
from keel.workflows import stages_static as st  # noqa: E402
from keel.workflows.analyzers.project import load_module, usage_for  # noqa: E402
from keel.workflows.definitions import BUILTIN_WORKFLOWS  # noqa: E402


def _key(f) -> tuple:
    r = f.range
    return (f.uri, f.rule, f.severity, f.message,
            r.start.line, r.start.character, r.end.line, r.end.character)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else
                Path(__file__).resolve().parents[1] / "server" / "keel").resolve()
    files = sorted(root.rglob("*.py"))
    items = [(str(p), p.relative_to(root).as_posix(), p.as_uri()) for p in files]
    context = st.static_context(BUILTIN_WORKFLOWS["review"], root, None)
    workflow = set()
    for analyzer in ("advisor", "bugs"):
        batch = st.advisor_batch(items, None, context, st._scope(analyzer, context))
        workflow |= {_key(f) for f in batch.findings}
    analyzed = set()
    for path in files:
        try:
            outcome = analyze_source(path.read_text(encoding="utf-8"), path.as_uri(), None, (),
                                     load_module, usage_for(path, [root]))
        except (InvalidInput, UnicodeDecodeError):
            continue
        analyzed |= {_key(f) for f in outcome.findings}
    print(json.dumps({
        "files": len(files), "workflow": len(workflow), "analyze": len(analyzed),
        "identical": len(workflow & analyzed), "only_workflow": len(workflow - analyzed),
        "only_analyze": len(analyzed - workflow),
        "by_rule": dict(Counter(k[1] for k in analyzed)),
    }, indent=2))


if __name__ == "__main__":
    main()
