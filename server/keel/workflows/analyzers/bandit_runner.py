"""Run bandit as a subprocess (``python -I bandit_child.py LIST``) and parse its JSON.

A subprocess rather than bandit's API: bandit is CPU-bound, keeps global state
and logs to stdout; a child process can be killed the moment the run is
cancelled or times out, which is what the cancel target asks for.

The workspace is someone else's code. ``python -m bandit`` in the workspace put
it first on ``sys.path``, so a repository's ``yaml.py`` ran inside bandit. The
child now runs isolated (``-I``: no working directory or script folder on
``sys.path``, no ``PYTHON*`` variables, no user site) in a temporary folder, and
reads its absolute paths from a list file there (``bandit_child.py`` says why).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

import anyio
import structlog
from anyio.abc import Process

from keel.errors import InternalError
from keel.runtime.threads import in_thread

log = structlog.get_logger(__name__)
_SEVERITY = {"LOW": "info", "MEDIUM": "warning", "HIGH": "error"}
CHILD = Path(__file__).with_name("bandit_child.py")


@dataclass(frozen=True)
class BanditIssue:
    path: str  # absolute, as given to bandit
    test_id: str
    test_name: str
    text: str
    severity: str  # info | warning | error
    confidence: str
    line: int  # 1-based
    col: int
    end_col: int
    cwe: int | None = None


def bandit_available() -> bool:
    return importlib.util.find_spec("bandit") is not None


def parse_report(stdout: bytes) -> list[BanditIssue]:
    try:
        report = json.loads(stdout.decode("utf-8", "replace") or "{}")
    except ValueError:
        raise InternalError("bandit printed something that is not its JSON report.",
                            code="analysis.bandit_output") from None
    issues = []
    for item in report.get("results", []):
        cwe = (item.get("issue_cwe") or {}).get("id")
        issues.append(BanditIssue(
            path=item.get("filename", ""),
            test_id=item.get("test_id", "B000"),
            test_name=item.get("test_name", ""),
            text=item.get("issue_text", ""),
            severity=_SEVERITY.get(item.get("issue_severity", "LOW"), "info"),
            confidence=item.get("issue_confidence", "LOW"),
            line=int(item.get("line_number", 1)),
            col=int(item.get("col_offset", 0)),
            end_col=int(item.get("end_col_offset", 0) or 0),
            cwe=cwe,
        ))
    return issues


def bandit_command(list_file: Path) -> list[str]:
    """The child's command line: the same whatever the number of files."""
    return [sys.executable, "-I", str(CHILD), str(list_file)]


def write_list(folder: Path, files: list[Path]) -> Path:
    list_file = folder / "targets"
    list_file.write_bytes(b"".join(os.fsencode(f.absolute()) + b"\0" for f in files))
    return list_file


async def run_bandit(files: list[Path]) -> list[BanditIssue]:
    """bandit's issues in ``files``. Cancellation kills the child at once."""
    if not files:
        return []
    folder = await in_thread(_temporary_folder, on_abandoned=tempfile.TemporaryDirectory.cleanup)
    try:
        list_file = await in_thread(write_list, Path(folder.name), files)
        return await _run(bandit_command(list_file), cwd=folder.name)
    finally:
        with anyio.CancelScope(shield=True):  # one small file; cancelled runs leave nothing behind
            await in_thread(folder.cleanup)


def _temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="keel-bandit-")


async def _run(command: list[str], cwd: str) -> list[BanditIssue]:
    process = await anyio.open_process(command, cwd=cwd, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finished = False
    try:
        out, err = bytearray(), bytearray()

        async def drain(stream: AsyncIterable[bytes] | None, into: bytearray) -> None:
            if stream is None:
                return
            async for chunk in stream:
                into.extend(chunk)

        async with anyio.create_task_group() as group:
            group.start_soon(drain, process.stdout, out)
            group.start_soon(drain, process.stderr, err)
            await process.wait()
        finished = True
    finally:
        if not finished:
            process.kill()  # cancelled or failed: the child must not outlive the run
        await _close(process)
    # 0: no issues, 1: issues found; anything else is bandit failing.
    if process.returncode not in (0, 1):
        log.warning("bandit failed", returncode=process.returncode, stderr=bytes(err[-500:]))
        raise InternalError(f"bandit exited with status {process.returncode}.",
                            code="analysis.bandit_failed")
    return parse_report(bytes(out))


async def _close(process: Process) -> None:
    with anyio.CancelScope(shield=True):  # reaping a killed child takes microseconds
        await process.aclose()
