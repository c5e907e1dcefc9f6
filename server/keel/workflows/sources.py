"""The files a run reads: the same walk as the cost estimate (``keel.scan.scanner``).

Reusing ``scan`` keeps "what the estimate priced" and "what the run sent"
identical: same ``.gitignore`` rules, same suffix filter, same order (chunk
packing depends on it) and the same token counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keel.files import read_regular
from keel.runtime.deadline import current_deadline
from keel.runtime.threads import in_thread
from keel.scan.results import ScanResult
from keel.scan.scanner import scan

EDIT_SLACK_BYTES = 64 * 1024


@dataclass(frozen=True)
class SourceFile:
    rel_path: str  # POSIX, relative to the workspace root
    path: Path  # absolute
    tokens: int
    size: int

    @property
    def uri(self) -> str:
        return self.path.as_uri()


async def collect_sources(
    target: Path, workspace_root: Path, suffixes: tuple[str, ...], max_file_bytes: int
) -> tuple[list[SourceFile], ScanResult]:
    deadline = current_deadline()

    def scan_in_thread() -> tuple[ScanResult, Path]:  # resolve() touches the disk too
        return scan(target, workspace_root, suffixes=suffixes, max_file_bytes=max_file_bytes,
                    should_stop=lambda: deadline.expired), workspace_root.resolve()

    result, root = await in_thread(scan_in_thread)
    files = [SourceFile(f.rel_path, root / f.rel_path, f.tokens, f.size) for f in result.files]
    return files, result


def _read_all(paths: list[Path], sizes: list[int]) -> list[str]:
    texts = []
    for path, size in zip(paths, sizes, strict=True):
        try:
            # read_regular: a file swapped for a FIFO since the scan must not block the run.
            # The scan's size bounds the read, with room for an edit made since.
            data = read_regular(path, size + EDIT_SLACK_BYTES)
            texts.append(data.decode("utf-8", errors="replace"))
        except OSError:
            texts.append("")  # vanished or replaced since the scan: it contributes nothing
    return texts


async def read_texts(files: list[SourceFile]) -> dict[str, str]:
    texts = await in_thread(_read_all, [f.path for f in files], [f.size for f in files])
    return {f.rel_path: text for f, text in zip(files, texts, strict=True)}
