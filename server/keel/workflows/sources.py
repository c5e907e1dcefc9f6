"""The files a run reads: the same walk as the cost estimate (``keel.scan.scanner``).

Reusing ``scan`` keeps "what the estimate priced" and "what the run sent"
identical: same ``.gitignore`` rules, same suffix filter, same order (chunk
packing depends on it) and the same token counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio

from keel.runtime.deadline import current_deadline
from keel.scan.results import ScanResult
from keel.scan.scanner import scan


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

    result, root = await anyio.to_thread.run_sync(scan_in_thread, abandon_on_cancel=True)
    files = [SourceFile(f.rel_path, root / f.rel_path, f.tokens, f.size) for f in result.files]
    return files, result


def _read_all(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            texts.append("")  # vanished since the scan: it simply contributes nothing
    return texts


async def read_texts(files: list[SourceFile]) -> dict[str, str]:
    texts = await anyio.to_thread.run_sync(_read_all, [f.path for f in files],
                                           abandon_on_cancel=True)
    return {f.rel_path: text for f, text in zip(files, texts, strict=True)}
