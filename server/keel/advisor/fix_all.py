"""Apply every rule fix of a file, one at a time: ``fix_all(source, uri, ...) -> FixAllResult``.

Used by ``keel analyze --fix`` and ``bench/advisor_fix_safety.py``. After each
applied fix the text is analysed again (ids and ranges belong to the new text),
exactly as a user pressing Apply on one finding after another would see it.
Only fixes whose safety is in ``allowed`` are applied (``{"safe"}`` by default,
like ruff's ``--fix`` without ``--unsafe-fixes``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from keel.protocol import AdvisorThresholds

from .edits import apply_text_edits
from .engine import analyze_source
from .fixes import rule_fix
from .frameworks import ModuleLoader
from .workspace import ExternalUse

MAX_FIXES_PER_FILE = 2000  # a bound, so that a fix that re-creates its finding cannot loop


@dataclass
class FixAllResult:
    text: str
    applied: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, safety) -> count
    remaining: int = 0  # fixable findings left (not allowed, or no fix could be built)


def fix_all(source: str, uri: str, allowed: Collection[str] = ("safe",),
            select: Collection[str] = (), thresholds: AdvisorThresholds | None = None,
            disabled: Collection[str] = (), usage: ExternalUse | None = None,
            load: ModuleLoader | None = None) -> FixAllResult:
    """The text with every allowed fix applied; ``select``: only these rules (empty: all);
    ``usage``/``load``: as ``analyze_source`` takes them (the workspace's proof).

    Raises ``InvalidInput`` like ``analyze_source`` when the source cannot be analysed.
    """
    result = FixAllResult(source)
    tried: set[str] = set()
    for _ in range(MAX_FIXES_PER_FILE):
        findings = analyze_source(result.text, uri, thresholds, disabled, load, usage).findings
        fixable = [f for f in findings if f.fixable and (not select or f.rule in select)]
        todo = [f for f in fixable if f.fix_safety in allowed and f.id not in tried]
        result.remaining = len(fixable)
        if not todo:
            break
        finding = todo[0]
        tried.add(finding.id)
        fix = rule_fix(result.text, uri, finding.id, thresholds, usage)
        if fix is None:
            continue
        result.text = apply_text_edits(result.text, fix.edits)
        result.applied[(finding.rule, fix.safety)] += 1
    return result
