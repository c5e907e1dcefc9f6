"""The run's markdown report: status, per-stage summary, findings, model answers."""

from __future__ import annotations

from keel.protocol.advisor import Finding

from .state import RunState

MAX_FINDINGS_LISTED = 50


def _finding_row(finding: Finding, rel_by_uri: dict[str, str]) -> str:
    where = f"{rel_by_uri.get(finding.uri, finding.uri)}:{finding.range.start.line + 1}"
    message = finding.message.replace("|", "\\|").replace("\n", " ")
    return f"| {finding.severity} | `{where}` | {finding.rule} | {message} |"


def render_markdown(state: RunState, status: str, rel_by_uri: dict[str, str],
                    findings: list[Finding], error_message: str | None = None) -> str:
    """``findings``: all the run's findings in report order (``run_findings.ordered_findings``)."""
    lines = [f"# {state.workflow} on `{state.target}`", "",
             f"**Status:** {status} · {state.files} file(s)"]
    if error_message:
        lines.append(f"**Error:** {error_message}")
    if state.degraded:
        lines += ["", "**Degraded:**"] + [f"- {reason}" for reason in state.degraded]
    for stage in state.stages:
        lines += ["", f"## {stage.title} ({stage.status})"]
        if stage.note:
            lines.append(f"_{stage.note}_")
        if stage.error is not None:
            lines.append(f"**{stage.error.error_type}** ({stage.error.code}): {stage.error.message}")
        lines += stage.summary
        for index, text in enumerate(stage.outputs, 1):
            if len(stage.outputs) > 1:
                lines += ["", f"### Part {index}"]
            lines += ["", text.strip()]
    if findings:
        lines += ["", f"## Findings ({len(findings)})", "",
                  "| severity | where | rule | message |", "|---|---|---|---|"]
        lines += [_finding_row(f, rel_by_uri) for f in findings[:MAX_FINDINGS_LISTED]]
        if len(findings) > MAX_FINDINGS_LISTED:
            lines.append(f"\n…and {len(findings) - MAX_FINDINGS_LISTED} more.")
    return "\n".join(lines) + "\n"
