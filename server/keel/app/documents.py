"""Reading the text a request refers to: the open buffer, else the file on disk.

A document the client has opened is read from the client. Any other ``uri`` is
read from disk only when it resolves (symlinks followed) inside a workspace
folder: a protocol client could otherwise have Keel read, and quote back in
findings or send to a model, any ``.py`` file the user can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keel import targets
from keel.errors import InvalidInput, KeelError, Unavailable
from keel.files import TRANSIENT_ERRNOS, NotRegularFile, read_failure, read_regular
from keel.runtime.threads import in_thread

from .ports import DocumentText
from .state import KeelApp

SUPPORTED_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class SourceText:
    uri: str
    text: str
    version: int | None
    path: Path


def path_of_uri(uri: str) -> Path:
    return targets.path_of_uri(uri, "uri")  # NUL and over-long names: -32602 naming the field


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(
                f"{path.name} is {size:,} bytes; the advisor reads files up to {max_bytes:,} bytes.",
                code="analysis.file_too_large", hint="Raise keel.advisor.maxFileBytes to analyse it.",
                details={"field": "uri", "bytes": size, "maxBytes": max_bytes})
        return read_regular(path, max_bytes)  # at most max_bytes + 1: more means too large
    except NotRegularFile as exc:
        # A FIFO, device or socket would block the reading thread forever.
        raise InvalidInput(f"{path} is {exc.kind}; the advisor reads only regular files.",
                           code="analysis.not_a_file", details={"field": "uri"}) from None
    except (OSError, RuntimeError) as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: BaseException) -> KeelError:
    """The typed error of an OS error met reading ``path``, naming it and the reason."""
    name, reason = read_failure(exc)
    code = {"ENOENT": "analysis.file_not_found", "EISDIR": "analysis.not_a_file"}.get(
        name, "analysis.unreadable")
    message = f"{path} cannot be read: {reason} ({name})."
    details = {"field": "uri", "reason": name}
    if getattr(exc, "errno", None) in TRANSIENT_ERRNOS:
        return Unavailable(message, code="analysis.io_error", details=details,
                           hint="Check the disk or share it is on, then try again.")
    return InvalidInput(message, code=code, details=details)


def inside_workspace(path: Path, folders: list[Path]) -> Path:
    """``path`` resolved (``..`` and symlinks), refused unless inside a workspace folder."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a component that cannot be read
        raise unreadable(path, exc) from None
    if targets.containing_folder(resolved, folders) is None:
        raise InvalidInput(
            f"{path.name} is outside every workspace folder and not open in the editor.",
            code="analysis.outside_workspace", details={"field": "uri"},
            hint="Open the file in the editor, or add its folder to the workspace.")
    return resolved


def check_size(text_bytes: int, name: str, max_bytes: int) -> None:
    if text_bytes > max_bytes:
        raise InvalidInput(
            f"{name} is {text_bytes:,} bytes; the advisor reads files up to {max_bytes:,} bytes.",
            code="analysis.file_too_large", hint="Raise keel.advisor.maxFileBytes to analyse it.",
            details={"field": "uri", "bytes": text_bytes, "maxBytes": max_bytes})


async def python_source(app: KeelApp, uri: str) -> SourceText:
    """The text to analyse: unsaved buffer if open, else the file; validated for the advisor."""
    path = path_of_uri(uri)
    if path.suffix not in SUPPORTED_SUFFIXES:
        raise InvalidInput(
            f"{path.name} is not a Python file; the advisor supports {', '.join(SUPPORTED_SUFFIXES)} files.",
            code="analysis.unsupported_language", details={"field": "uri", "supported": list(SUPPORTED_SUFFIXES)})
    max_bytes = app.settings.advisor.max_file_bytes
    open_doc: DocumentText | None = app.documents.get(uri)
    if open_doc is not None:
        check_size(len(open_doc.text.encode("utf-8", "surrogatepass")), path.name, max_bytes)
        if "\x00" in open_doc.text:
            raise _binary(path)
        return SourceText(uri, open_doc.text, open_doc.version, path)
    path = await in_thread(inside_workspace, path, list(app.workspace_folders))
    data = await in_thread(_read, path, max_bytes)
    check_size(len(data), path.name, max_bytes)
    if b"\x00" in data[:65536]:
        raise _binary(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid UTF-8 (byte {exc.start}).", code="analysis.encoding",
                           details={"field": "uri"}) from None
    return SourceText(uri, text, None, path)


def _binary(path: Path) -> InvalidInput:
    return InvalidInput(f"{path.name} looks binary (it contains NUL bytes); the advisor reads text.",
                        code="analysis.binary_file", details={"field": "uri"})
