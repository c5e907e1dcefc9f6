"""`python -m keel.protocol.generate [--check]`: regenerate (or check) every generated artefact.

- ``extension/src/protocol/keel-protocol.schema.json``: the JSON Schema of the models;
- ``extension/src/protocol/keel-protocol.ts``: TypeScript types from that schema
  (json-schema-to-typescript, via ``npm run gen:protocol``);
- ``docs/protocol-reference.md``: the method table and every shape, from the models;
- ``server/keel/lsp/method_names.py``: the method names and protocol version, for the fast
  start, which must not import the models (nor ``keel.protocol``, whose ``__init__`` loads them).

With ``--check`` nothing is written: exit 1 and name the files that drifted.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .methods import PROTOCOL_VERSION, method_names
from .reference import reference_markdown
from .schema import schema_json

REPO = Path(__file__).resolve().parents[3]
PROTOCOL_DIR = REPO / "extension" / "src" / "protocol"
SCHEMA_PATH = PROTOCOL_DIR / "keel-protocol.schema.json"
TS_PATH = PROTOCOL_DIR / "keel-protocol.ts"
REFERENCE_PATH = REPO / "docs" / "protocol-reference.md"
NAMES_PATH = Path(__file__).resolve().parents[1] / "lsp" / "method_names.py"
BANNER = "/* Generated from keel.protocol by 'python -m keel.protocol.generate'. Do not edit. */"


def typescript_from(schema_path: Path) -> str:
    """Run json-schema-to-typescript on a schema file; needs `npm ci` to have run."""
    json2ts = REPO / "node_modules" / ".bin" / "json2ts"
    if not json2ts.exists():
        raise SystemExit("json2ts is missing: run `npm ci` in the repository root first.")
    out = subprocess.run(
        [str(json2ts), "--input", str(schema_path), "--unreachableDefinitions",
         "--additionalProperties", "false", "--bannerComment", BANNER],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    return out.stdout


def names_module() -> str:
    """``lsp/method_names.py``: the method names as plain strings, importing nothing."""
    names = "".join(f'    "{name}",\n' for name in method_names())
    return ('"""The names of every keel/* method, without importing the models.\n\n'
            "Generated from keel.protocol.methods by `python -m keel.protocol.generate`; do not edit.\n"
            "The server's fast start (keel.lsp.early) answers ``initialize`` with them before anything\n"
            "heavy loads; it lives outside keel.protocol, whose ``__init__`` loads every model.\n"
            '"""\n\n'
            f"PROTOCOL_VERSION = {PROTOCOL_VERSION}\n\n"
            f"KEEL_METHOD_NAMES: tuple[str, ...] = (\n{names})\n")


def generated_without_node() -> dict[Path, str]:
    """Every generated file that Python alone can build."""
    return {SCHEMA_PATH: schema_json(), REFERENCE_PATH: reference_markdown(),
            NAMES_PATH: names_module()}


def generated() -> dict[Path, str]:
    files = generated_without_node()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_schema = Path(tmp) / "keel-protocol.schema.json"
        tmp_schema.write_text(files[SCHEMA_PATH], encoding="utf-8")
        files[TS_PATH] = typescript_from(tmp_schema)
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    drifted = []
    for path, content in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        drifted.append(path.relative_to(REPO))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    if check and drifted:
        sys.stderr.write("generated files drifted (run python -m keel.protocol.generate): "
                         + ", ".join(map(str, drifted)) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
