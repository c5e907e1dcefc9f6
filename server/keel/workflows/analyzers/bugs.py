"""The bug patterns, as the workflows' "bugs" stage reports them: the advisor's bug rules.

There is one engine (``keel.advisor``): this module only names the subset the
"Bug patterns" stage shows (the rules of ``keel.advisor.catalog.BUG_CATEGORY``:
is-literal, assert-tuple, duplicate-dict-key, self-comparison,
mutable-class-attribute, bare-except, swallowed-exception, ...) and gives tests
and scripts a plain list of hits. eq-none and fstring-no-placeholder are style
rules, reported by the "Static analysis" stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BugHit:
    rule: str
    message: str
    severity: str
    line: int  # 1-based
    col: int  # 0-based (UTF-16, as the wire)
    end_line: int
    end_col: int


def find_bugs(source: str, path: Path | None = None, every_rule: bool = False) -> list[BugHit]:
    """The bug-pattern findings of ``source`` in source order (``every_rule``: the style
    patterns eq-none and fstring-no-placeholder too).

    With the file's ``path``, classes derived from framework-managed classes of other
    modules of the same tree are recognised too (``from .base import Model``).
    Raises ``keel.errors.InvalidInput`` for code that does not parse.
    """
    # imported here: the run path must not load keel.advisor; the workers run this
    from keel.advisor.catalog import BUG_CATEGORY, RULES
    from keel.advisor.engine import analyze_source

    from .project import load_module

    extra = {"eq-none", "fstring-no-placeholder"} if every_rule else set()
    off = [r for r, spec in RULES.items() if spec.category != BUG_CATEGORY and r not in extra]
    uri = path.resolve().as_uri() if path else "file:///<source>.py"
    outcome = analyze_source(source, uri, None, off, load_module if path else None)
    return [BugHit(f.rule, f.message, f.severity, f.range.start.line + 1, f.range.start.character,
                   f.range.end.line + 1, f.range.end.character) for f in outcome.findings]
