"""`python -m keel.protocol.generate [--check]`: regenerate (or check) every generated artefact.

- ``extension/src/protocol/keel-protocol.schema.json``: the JSON Schema of the models;
- ``extension/src/protocol/keel-protocol.ts``: TypeScript types from that schema
  (json-schema-to-typescript, via ``npm run gen:protocol``);
- ``docs/protocol-reference.md``: the method table and every shape, from the models;
- ``server/keel/lsp/method_names.py``: the method names, protocol version and the traits the
  fast start needs, for the fast start, which must not import the models (nor
  ``keel.protocol``, whose ``__init__`` loads them);
- ``extension/src/lspExt.ts``: one typed ``RequestType``/``NotificationType`` per method, the
  one place the extension names a method (rust-analyzer's ``lsp_ext.ts``).

With ``--check`` nothing is written: exit 1 and name the files that drifted.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pydantic.alias_generators import to_camel

from .methods import (
    CANCEL_REQUEST,
    EXIT,
    INITIALIZE,
    INITIALIZED,
    METHODS,
    NOTIFICATIONS,
    PROTOCOL_VERSION,
    REQUESTS,
    SHUTDOWN,
    MethodSpec,
)
from .reference import reference_markdown
from .schema import schema_json

REPO = Path(__file__).resolve().parents[3]
PROTOCOL_DIR = REPO / "extension" / "src" / "protocol"
SCHEMA_PATH = PROTOCOL_DIR / "keel-protocol.schema.json"
TS_PATH = PROTOCOL_DIR / "keel-protocol.ts"
REFERENCE_PATH = REPO / "docs" / "protocol-reference.md"
NAMES_PATH = Path(__file__).resolve().parents[1] / "lsp" / "method_names.py"
LSP_EXT_PATH = REPO / "extension" / "src" / "lspExt.ts"
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


def _constant(spec: MethodSpec) -> str:
    """``keel/healthChanged`` → ``HEALTH_CHANGED``, as ``keel.protocol.methods`` names it."""
    return spec.snake_name.upper()


def names_module() -> str:
    """``lsp/method_names.py``: names and fast-start traits as plain strings, importing nothing."""
    constants = "".join(f'{_constant(spec)} = "{spec.name}"\n' for spec in METHODS.values())
    names = "".join(f"    {_constant(spec)},\n" for spec in METHODS.values())
    as_data = ", ".join(_constant(spec) for spec in REQUESTS if spec.answers_deadline_as_data)
    base = "".join(f'{constant} = "{name}"\n' for constant, name in (
        ("INITIALIZE", INITIALIZE), ("INITIALIZED", INITIALIZED), ("SHUTDOWN", SHUTDOWN),
        ("EXIT", EXIT), ("CANCEL_REQUEST", CANCEL_REQUEST)))
    return ('"""The names of every keel/* method and the traits the fast start needs, importing nothing.\n\n'
            "Generated from keel.protocol.methods by `python -m keel.protocol.generate`; do not edit.\n"
            "The server's fast start (keel.lsp.early) answers ``initialize`` with them before anything\n"
            "heavy loads; it lives outside keel.protocol, whose ``__init__`` loads every model.\n"
            '"""\n\n'
            f"PROTOCOL_VERSION = {PROTOCOL_VERSION}\n\n"
            f"{constants}\n"
            "# The base-protocol methods that the fast start and keel.rpc_client send or answer themselves.\n"
            f"{base}\n"
            f"KEEL_METHOD_NAMES: tuple[str, ...] = (\n{names})\n\n"
            "# Requests that answer their own deadline as data: the fast start leaves their deadline alone.\n"
            f"ANSWERS_DEADLINE_AS_DATA: frozenset[str] = frozenset({{{as_data}}})\n")


def _ts_type(spec: MethodSpec) -> str:
    if spec.kind == "notification":
        return f"NotificationType<{spec.params.__name__}>"
    assert spec.result is not None
    return f"RequestType<{spec.params.__name__}, {spec.result.__name__}, void>"


# The JSON-RPC error codes of the contract (docs/protocol.md) that the extension reacts to;
# tests/contract/test_generated.py checks them against keel.errors, which protocol/ cannot import.
CLIENT_ERROR_CODES = {"invalidParams": -32602, "requestCancelled": -32800, "superseded": -32802,
                      "requestFailed": -32803}


def lsp_ext_module() -> str:
    """``extension/src/lspExt.ts``: every method as a typed vscode-jsonrpc message type."""
    types = sorted({spec.params.__name__ for spec in METHODS.values()}
                   | {spec.result.__name__ for spec in REQUESTS if spec.result is not None})
    imports = "".join(f"  {name},\n" for name in types)
    def line(spec: MethodSpec) -> str:
        return f'export const {to_camel(spec.snake_name)} = new {_ts_type(spec)}("{spec.name}");\n'

    lines = "".join(map(line, REQUESTS)) + "\n" + "".join(map(line, NOTIFICATIONS))
    codes = "".join(f"  {name}: {code},\n" for name, code in CLIENT_ERROR_CODES.items())
    return (f"{BANNER}\n"
            "/**\n"
            " * Keel's JSON-RPC methods, typed with the generated protocol types: the one place the client\n"
            " * names a `keel/*` method (like rust-analyzer's lsp_ext.ts). Works with vscode-languageclient\n"
            " * and with a bare vscode-jsonrpc connection (the client tests use the latter).\n"
            " */\n"
            'import { NotificationType, RequestType } from "vscode-jsonrpc";\n'
            f"import type {{\n{imports}}} from \"./protocol/keel-protocol\";\n\n"
            f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};\n\n"
            f"{lines}\n"
            "/** JSON-RPC error codes of the contract (docs/protocol.md). */\n"
            f"export const ErrorCodes = {{\n{codes}}} as const;\n")


def generated_without_node() -> dict[Path, str]:
    """Every generated file that Python alone can build."""
    return {SCHEMA_PATH: schema_json(), REFERENCE_PATH: reference_markdown(),
            NAMES_PATH: names_module(), LSP_EXT_PATH: lsp_ext_module()}


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
