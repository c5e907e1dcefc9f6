"""The full, ordered findings of recent runs, for ``keel/runFindings`` pages.

A RunResult carries at most ``MAX_FINDINGS_IN_RESULT`` findings (a 24,000-finding
answer was 14 MB and stalled the loop for seconds); the rest stay here, in the
order the report uses, for as long as the budget allows: the newest runs are
kept, bounded by their total number of findings.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from keel.errors import InvalidInput
from keel.protocol.advisor import Finding

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
KEPT_FINDINGS = 200_000
KEPT_RUNS = 64


def ordered_findings(findings: list[Finding], rel_by_uri: dict[str, str]) -> list[Finding]:
    """Most severe first, then by file and line: the order of the report and of the pages."""
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 3),
                                           rel_by_uri.get(f.uri, f.uri), f.range.start.line))


class RunFindings:
    def __init__(self, kept_findings: int = KEPT_FINDINGS, kept_runs: int = KEPT_RUNS) -> None:
        self._kept_findings = kept_findings
        self._kept_runs = kept_runs
        self._runs: OrderedDict[str, Sequence[Finding]] = OrderedDict()
        self._total = 0

    def keep(self, run_id: str, findings: Sequence[Finding]) -> None:
        self._runs[run_id] = tuple(findings)
        self._total += len(findings)
        while len(self._runs) > 1 and (self._total > self._kept_findings
                                       or len(self._runs) > self._kept_runs):
            _, dropped = self._runs.popitem(last=False)
            self._total -= len(dropped)

    def page(self, run_id: str, offset: int, limit: int) -> tuple[int, list[Finding]]:
        findings = self._runs.get(run_id)
        if findings is None:
            raise InvalidInput(
                f"No findings are kept for run {run_id!r}.", code="run.unknown",
                hint="Findings are kept for the most recent runs of this server; run it again.",
                details={"field": "runId"})
        return len(findings), list(findings[offset:offset + limit])
