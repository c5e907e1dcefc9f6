"""The run's markdown report: status, per-stage summary, findings, model answers."""

from __future__ import annotations

from keel.protocol.advisor import Finding

from .state import RunState

_ORDER = {"error": 0, "warning": 1, "info": 2}
MAX_FINDINGS_LISTED = 50
# Characters that markdown would read as markup (``<module>`` as an HTML tag, ``*args`` as emphasis).
_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def quote(text: str) -> str:
    """Text we did not write (messages, notes, reasons), shown literally in markdown."""
    return text.translate(_MARKUP).replace("\n", " ")


def _finding_row(finding: Finding, rel_by_uri: dict[str, str]) -> str:
    where = f"{rel_by_uri.get(finding.uri, finding.uri)}:{finding.range.start.line + 1}"
    return f"| {finding.severity} | `{where}` | {finding.rule} | {quote(finding.message)} |"


def render_markdown(state: RunState, status: str, rel_by_uri: dict[str, str],
                    error_message: str | None = None) -> str:
    lines = [f"# {state.workflow} on `{state.target}`", "",
             f"**Status:** {status} · {state.files} file(s)"]
    if error_message:
        lines += ["", f"**Error:** {quote(error_message)}"]
    if state.degraded:
        lines += ["", "**Degraded:**"] + [f"- {quote(reason)}" for reason in state.degraded]
    for stage in state.stages:
        lines += ["", f"## {stage.title} ({stage.status})"]
        if stage.note:
            lines += [f"_{quote(stage.note)}_", ""]
        if stage.error is not None:
            lines += [f"**{stage.error.error_type}** ({stage.error.code}): "
                      f"{quote(stage.error.message)}", ""]
        lines += stage.summary
        for index, text in enumerate(stage.outputs, 1):
            if len(stage.outputs) > 1:
                lines += ["", f"### Part {index}"]
            lines += ["", text.strip()]
    findings = sorted(state.findings(), key=lambda f: (_ORDER.get(f.severity, 3),
                                                       rel_by_uri.get(f.uri, f.uri),
                                                       f.range.start.line))
    if findings:
        lines += ["", f"## Findings ({len(findings)})", "",
                  "| severity | where | rule | message |", "|---|---|---|---|"]
        lines += [_finding_row(f, rel_by_uri) for f in findings[:MAX_FINDINGS_LISTED]]
        if len(findings) > MAX_FINDINGS_LISTED:
            lines.append(f"\n…and {len(findings) - MAX_FINDINGS_LISTED} more: the run's result "
                         "lists them all (`report.findings`; `keel run ... --json`).")
    return "\n".join(lines) + "\n"
