"""A target with nothing to read: why, in counts, for a run's refusal and an estimate's note.

A run whose every file is skipped (binary, too large, not an input of the
workflow, unreadable, ignored, a symlink; or an empty folder) has nothing to
do, so it is refused before it starts with -32602 ``target.no_input``. The
estimate of such a target is $0 and carries the same sentence in ``noInput``
(an estimate describes; it does not refuse).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keel.errors import DeadlineExceeded, InvalidInput
from keel.scan.cache import EstimateCache
from keel.scan.results import ScanResult
from keel.scan.scanner import scan


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def skip_reasons(scanned: ScanResult) -> dict[str, int]:
    """Skipped entries per reason (wire names), only the reasons that occurred."""
    counts = {
        "binary": scanned.skipped_binary,
        "large": scanned.skipped_large,
        "notInput": scanned.skipped_not_input,
        "unreadable": scanned.skipped_unreadable,
        "ignored": scanned.skipped_ignored,
        "symlinks": scanned.skipped_symlinks,
    }
    return {reason: count for reason, count in counts.items() if count}


def no_input_message(scanned: ScanResult, suffixes: tuple[str, ...], target: str,
                     workflow_id: str) -> str | None:
    """Why ``target`` gives ``workflow_id`` nothing to read; None when it has input."""
    if scanned.files:
        return None
    target = target if len(target) <= 120 else target[:117] + "..."  # messages quote, bounded
    reasons = skip_reasons(scanned)
    if not reasons:
        return f"The target {target!r} has no files: workflow {workflow_id!r} has nothing to read."
    wanted = "/".join(suffixes) if suffixes else "text"
    words = {
        "binary": lambda n: _plural(n, "binary file"),
        "large": lambda n: f"{_plural(n, 'file')} over advisor.maxFileBytes",
        "notInput": lambda n: f"{_plural(n, 'file')} not {wanted}",
        "unreadable": lambda n: f"{_plural(n, 'entry', 'entries')} unreadable",
        "ignored": lambda n: f"{_plural(n, 'entry', 'entries')} ignored by .gitignore",
        "symlinks": lambda n: _plural(n, "symlink") + " (not followed)",
    }
    because = ", ".join(words[reason](count) for reason, count in reasons.items())
    return (f"The target {target!r} has no input for workflow {workflow_id!r}: "
            f"every file was skipped ({because}).")


def require_input(target: Path, workspace_root: Path, target_display: str, workflow_id: str,
                  suffixes: tuple[str, ...], max_file_bytes: int, cache: EstimateCache | None,
                  should_stop: Callable[[], bool] | None = None) -> None:
    """Raise -32602 ``target.no_input`` when a run of ``workflow_id`` would read no file.

    The same scan as the run and the estimate (with the estimate's cache, so a
    target just estimated costs one revalidation), reading only until one file
    is known to be readable. Blocking: call from a thread.
    A scan stopped by ``should_stop`` checks nothing: the run itself then ends
    ``timedOut`` (a RunResult), as a run that reaches its deadline must.
    """
    try:
        scanned = scan(target, workspace_root, suffixes=suffixes or None, cache=cache,
                       max_file_bytes=max_file_bytes, should_stop=should_stop,
                       first_input_only=True)
    except DeadlineExceeded:
        return
    message = no_input_message(scanned, suffixes, target_display, workflow_id)
    if message is not None:
        raise InvalidInput(message, code="target.no_input",
                           details={"field": "target", "skipped": skip_reasons(scanned)},
                           hint="Pick a folder or file with input files the workflow reads.")
