"""The bandit child: ``python -I <this file> LIST``, where LIST holds the files to check.

Run as a script, not with ``-m keel...``: under ``-I`` it needs only the
standard library and bandit, wherever Keel itself was installed from, and it
imports nothing from Keel.

The files come from a list file, NUL-separated (a path may hold a newline),
not from the command line: 80,000 paths overran the kernel's argument limit
(``OSError: Argument list too long``), and the command line no longer grows
with the target. Every path is absolute, so bandit's working directory is
irrelevant; the runner starts it in a temporary folder, never the workspace.

Every target is a file: bandit looks for a project ``.bandit`` file only by
walking directory targets, so a repository cannot configure it (its
``output`` option, for one, names a file to write).
"""

import os
import sys


def targets_of(list_path: str) -> list[str]:
    with open(list_path, "rb") as listing:
        return [os.fsdecode(raw) for raw in listing.read().split(b"\0") if raw]


def main() -> None:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: bandit_child.py LIST\n")
        sys.exit(2)
    targets = targets_of(sys.argv[1])
    # "--": a path is never read as an option, whatever it starts with.
    sys.argv = ["bandit", "-f", "json", "-q", "--", *targets]
    from bandit.cli.main import main as bandit_main

    bandit_main()


if __name__ == "__main__":
    main()
