"""Resolve a request's ``target`` to a real path inside a workspace folder.

Shared by ``keel/estimateCost`` and ``keel/runWorkflow`` so that both agree on
what a target means: a path relative to the first workspace folder, an absolute
path, or a ``file://`` URI. Symlinks are followed before the containment check,
so a link inside the workspace that points outside it is refused.

This module is also the boundary where a client's text becomes a ``Path``
(``path_of_uri`` for ``uri`` fields): a NUL (even percent-encoded) or a name
longer than the file system allows would otherwise surface later as a
``ValueError`` or ``OSError(ENAMETOOLONG)`` from deep inside ``pathlib``; here
they become -32602 naming the field.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from keel.errors import InvalidInput

# POSIX limits (Linux, macOS): a longer name or path can never be opened.
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096


def checked_path(text: str, field: str) -> Path:
    """``text`` (already decoded) as a ``Path``, refused when no file system could hold it."""
    if "\x00" in text:
        raise InvalidInput(f"The {field} contains a NUL character.", code="params.invalid",
                           details={"field": field})
    try:
        encoded = os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate from JSON: no file can have this name
        raise InvalidInput(f"The {field} is not valid text (a lone surrogate).",
                           code="params.invalid", details={"field": field}) from None
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > NAME_MAX_BYTES or len(encoded) > PATH_MAX_BYTES:
        raise _too_long(field)
    return Path(text)


def _too_long(field: str) -> InvalidInput:
    return InvalidInput(
        f"The {field} names a path longer than the file system allows "
        f"({NAME_MAX_BYTES} bytes per name, {PATH_MAX_BYTES} in all).",
        code="params.path_too_long", details={"field": field},
    )


def path_of_uri(uri: str, field: str = "uri") -> Path:
    """The local path of a ``file://`` URI (percent-decoded and checked).

    A URI naming a host (``file://server/share/x.py``) is refused rather than
    read as the local ``/share/x.py``; on Windows it would be a UNC path, a
    read from (and a credential handshake with) another machine.
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file" or not parsed.path:
        raise InvalidInput(f"{field} must be a file:// URI, got {uri[:80]!r}.",
                           code="params.invalid_uri", details={"field": field})
    if parsed.netloc not in ("", "localhost"):
        raise InvalidInput(f"{field} names the host {parsed.netloc[:80]!r}; only local file:// URIs "
                           "are read.", code="params.invalid_uri", details={"field": field})
    return checked_path(unquote(parsed.path), field)


def _path_of(target: str) -> Path:
    if target.startswith("file:"):
        parsed = urlparse(target)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInput(
                "Only local file:// URIs can be a target.",
                code="target.invalid_uri", details={"field": "target"},
            )
        return checked_path(unquote(parsed.path), "target")
    return checked_path(os.path.expanduser(target) if target.startswith("~") else target, "target")


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
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # a symlink expanded past the limit
            raise _too_long("target") from None
        name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise _unresolvable(candidate, f"{exc.strerror or type(exc).__name__} ({name})",
                            name) from None
    except RuntimeError:  # a symlink loop (Python < 3.13 raises RuntimeError for it)
        raise _unresolvable(candidate, "its symlinks form a loop (ELOOP)", "ELOOP") from None
    if containing_folder(resolved, workspace_folders) is None:
        raise InvalidInput(
            "The target is outside every workspace folder.",
            code="target.outside_workspace", details={"field": "target"},
            hint="Pick a file or folder inside the open workspace.",
        )
    return resolved


def _unresolvable(path: Path, reason: str, errno_name: str) -> InvalidInput:
    # target.not_found: what a client already handles for a target it cannot use.
    return InvalidInput(f"The target {path} cannot be resolved: {reason}.", code="target.not_found",
                        details={"field": "target", "reason": errno_name})


def display_target(path: Path, workspace_root: Path) -> str:
    """The wire form of a resolved target: POSIX, relative to its workspace folder."""
    relative = path.relative_to(workspace_root.resolve())
    text = relative.as_posix()
    return text if text else "."
