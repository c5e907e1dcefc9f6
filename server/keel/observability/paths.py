"""Absolute paths outside the workspace never go on the wire.

``scrub`` walks a JSON-like value and shortens every absolute path that is not
inside an allowed root to ``…/<name>`` (the file or folder name stays, so a
message is still actionable).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_ABSOLUTE = re.compile(r"(?:(?<=file://)|(?<![\w.:/]))(/(?:[^\s'\"<>|:;,()\[\]{}]+/)+[^\s'\"<>|:;,()\[\]{}]*)")


class PathScrubber:
    def __init__(self, roots: Sequence[Path] = ()) -> None:
        self.roots = [str(r).rstrip("/") for r in roots]

    def _allowed(self, path: str) -> bool:
        return any(path == root or path.startswith(root + "/") for root in self.roots if root)

    def text(self, value: str) -> str:
        if "/" not in value:
            return value

        def shorten(match: re.Match[str]) -> str:
            path = match.group(1)
            if self._allowed(path):
                return path
            name = path.rstrip("/").rsplit("/", 1)[-1]
            return f"…/{name}" if name else "…"

        return _ABSOLUTE.sub(shorten, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value
