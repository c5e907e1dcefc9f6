"""The token of ``keel serve --tcp`` (who may connect: ``tcp_auth.py``).

The client that starts the server chooses it and passes it in
``KEEL_SERVER_TOKEN``; :func:`take_token` removes it from ``os.environ`` before
anything else runs, so no worker, fork server or analyzer inherits it. A
server started by hand makes its own (``secrets.token_urlsafe(32)``) and
writes it to an owner-only file (0600 in a 0700 folder under the user's state
folder), which it names on stderr and removes when it stops.

Standard library only: ``keel serve`` takes the token before choosing a path,
and the stdio path must stay light.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from keel.private_files import open_private, private_dir

TOKEN_ENV = "KEEL_SERVER_TOKEN"
MIN_TOKEN_CHARS = 16  # a client-chosen token shorter than this is refused at start


@dataclass(frozen=True)
class ServerToken:
    value: str
    file: Path | None = None  # where a generated token was written; None when the client chose it

    def __repr__(self) -> str:  # never in a log line or a traceback
        return f"ServerToken(file={self.file!r})"


def take_token(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """The client's token, removed from the environment so no child process inherits it."""
    return environ.pop(TOKEN_ENV, None) or None


def default_token_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("keel", appauthor=False)) / "tcp"


def server_token(given: str | None, folder: Path | None = None) -> ServerToken:
    """``given`` (from :func:`take_token`), or a new token written to an owner-only file."""
    if given:
        return ServerToken(given)
    value = secrets.token_urlsafe(32)
    path = private_dir(folder or default_token_dir(), follow_symlinks=False) / f"serve-{os.getpid()}.token"
    with open_private(path, "w") as handle:
        handle.write(value)
    return ServerToken(value, path)
