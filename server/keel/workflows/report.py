"""The run's markdown report, one of it: a summary, the stages, findings by file, model answers.

Written for a reader: the status is a word ("Timed out"), never a code
(``run.cancelled``), and said once; each finding names its ``file:line`` range;
findings are grouped by file and listed in lines, not a table, so a terminal
80 columns wide never cuts a location. The first ``MAX_FINDINGS_LISTED`` are
listed; the rest are paged with ``keel/runFindings`` (the report says so).
"""

from __future__ import annotations

from itertools import groupby

from keel.protocol.advisor import Finding

from .run_findings import ordered_findings
from .state import RunState, StageState

MAX_FINDINGS_LISTED = 200
# Characters that markdown would read as markup (``<module>`` as an HTML tag, ``*args`` as emphasis).
_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})
STATUS_WORDS = {
    "running": "Running", "succeeded": "Succeeded", "partial": "Partly done",
    "failed": "Failed", "cancelled": "Cancelled", "timedOut": "Timed out",
    "interrupted": "Interrupted (the server stopped)", "skipped": "Skipped",
}


def quote(text: str) -> str:
    """Text we did not write (messages, notes, reasons), shown literally in markdown."""
    return text.translate(_MARKUP).replace("\n", " ")


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status.capitalize())


def where(finding: Finding, rel_by_uri: dict[str, str]) -> str:
    """``path:line`` or ``path:first-last`` (1-based lines)."""
    path = rel_by_uri.get(finding.uri, finding.uri)
    first, last = finding.range.start.line + 1, finding.range.end.line + 1
    return f"{path}:{first}" if last <= first else f"{path}:{first}-{last}"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def attempts_text(stage: StageState) -> str:
    """"4 calls (4 chunks, 0 retries)": calls are not retries."""
    extra = f", {_plural(stage.fallbacks, 'fallback')}" if stage.fallbacks else ""
    return (f"{_plural(stage.attempts, 'call')} ({_plural(stage.chunks, 'chunk')}, "
            f"{_plural(stage.retries, 'retry', 'retries')}{extra})")


def summary_line(state: RunState, status: str, findings: list[Finding],
                 rel_by_uri: dict[str, str], actual_usd: float) -> str:
    ran = sum(1 for s in state.stages if s.status == "succeeded")
    parts = [f"{status_word(status)}: {ran} of {_plural(len(state.stages), 'stage')} ran"]
    skipped = [s.id for s in state.stages if s.status == "skipped"]
    if skipped:
        parts[0] += f" ({', '.join(skipped)} skipped)"
    files = len({rel_by_uri.get(f.uri, f.uri) for f in findings})
    parts.append(f"{_plural(len(findings), 'finding')} in {_plural(files, 'file')}")
    parts.append(f"{_plural(state.files, 'file')} read")
    parts.append(f"${actual_usd:.4f}")
    return " · ".join(parts)


def _stage_line(stage: StageState) -> str:
    words = [status_word(stage.status).lower()]
    if stage.kind == "llm" and stage.attempts:
        served = f" on {stage.provider} {stage.model}" if stage.provider else ""
        words[0] += served
        words.append(attempts_text(stage))
        words.append(f"${stage.usd:.4f}")
    if stage.duration_ms:
        words.append(f"{stage.duration_ms:,} ms")
    line = f"- **{quote(stage.title)}**: {', '.join(words)}"
    said = " ".join(s for s in stage.summary if not s.startswith("- "))
    if said:
        line += f". {said}"
    if stage.note:
        line += f". _{quote(stage.note)}_"
    if stage.error is not None:
        # The error's words, not its code: codes are for scripts (keel run --json).
        line += f" {quote(stage.error.message)}"
    return line


def _findings_section(findings: list[Finding], rel_by_uri: dict[str, str],
                      run_id: str) -> list[str]:
    shown = findings[:MAX_FINDINGS_LISTED]
    files = {rel_by_uri.get(f.uri, f.uri) for f in findings}
    lines = ["", f"## Findings: {_plural(len(findings), 'finding')} in "
                 f"{_plural(len(files), 'file')}"]
    by_file = sorted(shown, key=lambda f: (rel_by_uri.get(f.uri, f.uri), f.range.start.line))
    for path, group in groupby(by_file, key=lambda f: str(rel_by_uri.get(f.uri, f.uri))):
        items = list(group)
        lines += ["", f"### {quote(path)} ({len(items)})", ""]
        lines += [f"- `{where(f, rel_by_uri)}` {f.severity} · {f.rule}: {quote(f.message)}"
                  for f in items]
    if len(findings) > len(shown):
        lines.append(f"\nShowing the {len(shown):,} most severe of {len(findings):,} findings. "
                     f"The rest are paged with keel/runFindings (run {run_id}); "
                     "`keel run ... --json` prints them all.")
    return lines


def render_markdown(state: RunState, status: str, rel_by_uri: dict[str, str],
                    error_message: str | None = None,
                    findings: list[Finding] | None = None, actual_usd: float | None = None) -> str:
    """``findings``: all the run's findings in report order, when the caller has them
    ordered already (the run manager does); else they are ordered here."""
    if findings is None:
        findings = ordered_findings(state.findings(), rel_by_uri)
    usd = actual_usd if actual_usd is not None else sum(s.usd for s in state.stages)
    lines = [f"# {quote(state.workflow)} on `{state.target}`", "",
             summary_line(state, status, findings, rel_by_uri, usd)]
    if error_message:
        lines += ["", f"**Error:** {quote(error_message)}"]
    lines += ["", "## Stages", ""] + [_stage_line(s) for s in state.stages]
    for stage in state.stages:
        details = [line for line in stage.summary if line.startswith("- ")]
        if details:
            lines += ["", f"{quote(stage.title)}, hot spots:", ""] + details
    if findings:
        lines += _findings_section(findings, rel_by_uri, state.run_id)
    for stage in state.stages:
        for index, text in enumerate(stage.outputs, 1):
            part = f" (part {index} of {len(stage.outputs)})" if len(stage.outputs) > 1 else ""
            lines += ["", f"## {quote(stage.title)}: model answer{part}", "", text.strip()]
    return "\n".join(lines) + "\n"
