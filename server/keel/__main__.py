import os
import sys


def _forget_working_directory() -> None:
    """``python -m keel`` put its working directory first on ``sys.path``: often the
    repository that is open in the editor, whose ``pydantic.py`` would then run inside
    Keel. Only ``sys`` and ``os`` (always loaded) are used before the entry is gone.

    Defence in depth: the editor starts Keel with ``-I``, which never adds it, and
    a shadow ``keel/`` package there is found before this file runs; only ``-I`` in
    the spawner stops that.
    """
    here = os.getcwd()
    sys.path[:] = [entry for entry in sys.path
                   if entry not in ("", ".") and os.path.abspath(entry) != here]


_forget_working_directory()

from keel.cli import main  # noqa: E402 - only once the working directory is off sys.path

if __name__ == "__main__":  # guarded: worker processes re-import the main module
    main()
