"""The import index's parser process: texts in, ``file_facts`` out (``index_process`` runs it).

Run as ``python -I index_child.py``: isolated (``-I``: no working directory or
script folder on ``sys.path``), so a workspace's ``ast.py`` cannot run here. It
reads pickled batches ``[(path, text), ...]`` from stdin and writes one pickled
list of facts per batch to stdout, until stdin closes. Only the server writes to
its stdin (its own pipe), so the pickles it reads are the server's.
"""

from __future__ import annotations

import pickle
import sys


def serve(inp: object, out: object) -> None:
    from keel.advisor.workspace import file_facts

    while True:
        try:
            batch = pickle.load(inp)  # type: ignore[arg-type]
        except EOFError:
            return
        pickle.dump([file_facts(path, text) for path, text in batch], out,  # type: ignore[arg-type]
                    protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()  # type: ignore[attr-defined]


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
