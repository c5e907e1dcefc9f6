"""The `keel` command line.

``keel serve`` skips typer and rich entirely: the editor spawns it and waits
for ``initialize``, so every import on that path counts.
"""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        from .serve import serve_main

        raise SystemExit(serve_main(sys.argv[2:], exit_when_done=True))
    from .app import app

    app()
