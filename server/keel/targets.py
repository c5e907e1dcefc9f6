"""Resolve a request's ``target`` to a real path inside a workspace folder.

Shared by ``keel/estimateCost`` and ``keel/runWorkflow`` so that both agree on
what a target means: a path relative to the first workspace folder, an absolute
path, or a ``file://`` URI. Symlinks are followed before the containment check,
so a link inside the workspace that points outside it is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from keel.errors import InvalidInput


def _path_of(target: str) -> Path:
    if target.startswith("file:"):
        parsed = urlparse(target)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInput(
                "Only local file:// URIs can be a target.",
                code="target.invalid_uri", details={"field": "target"},
            )
        return Path(unquote(parsed.path))
    return Path(os.path.expanduser(target)) if target.startswith("~") else Path(target)


def containing_folder(path: Path, workspace_folders: list[Path]) -> Path | None:
    """The (resolved) workspace folder that contains ``path``, if any; the deepest wins."""
    best: Path | None = None
    for folder in workspace_folders:
        root = folder.resolve()
        if path == root or path.is_relative_to(root):
            if best is None or len(root.parts) > len(best.parts):
                best = root
    return best


def resolve_target(target: str, workspace_folders: list[Path]) -> Path:
    """The absolute, symlink-free path of ``target``; it must exist inside a workspace folder."""
    if not target or "\x00" in target:
        raise InvalidInput("The target is empty or malformed.", code="params.invalid",
                           details={"field": "target"})
    if not workspace_folders:
        raise InvalidInput(
            "No workspace folder is open, so the target cannot be resolved.",
            code="target.outside_workspace", details={"field": "target"},
        )
    raw = _path_of(target)
    candidate = raw if raw.is_absolute() else workspace_folders[0] / raw
    try:
        resolved = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise InvalidInput(
            "The target does not exist.", code="target.not_found",
            details={"field": "target"},
        ) from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise InvalidInput(
            f"The target cannot be resolved ({type(exc).__name__}).",
            code="target.not_found", details={"field": "target"},
        ) from None
    if containing_folder(resolved, workspace_folders) is None:
        raise InvalidInput(
            "The target is outside every workspace folder.",
            code="target.outside_workspace", details={"field": "target"},
            hint="Pick a file or folder inside the open workspace.",
        )
    return resolved


def display_target(path: Path, workspace_root: Path) -> str:
    """The wire form of a resolved target: POSIX, relative to its workspace folder."""
    relative = path.relative_to(workspace_root.resolve())
    text = relative.as_posix()
    return text if text else "."
