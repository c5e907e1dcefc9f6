"""Generated files (JSON Schema, TS protocol types, protocol reference, method names) must
match the models. Only the TypeScript check needs Node (json2ts from `npm ci`)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from keel.protocol.generate import (
    CLIENT_ERROR_CODES,
    LSP_EXT_PATH,
    NAMES_PATH,
    SCHEMA_PATH,
    TS_PATH,
    generated,
    generated_without_node,
)
from keel.protocol.methods import METHODS, REQUESTS


def _assert_committed(fresh: dict[Path, str]) -> None:
    for path, content in fresh.items():
        assert path.exists(), f"{path} is missing: run python -m keel.protocol.generate"
        assert path.read_text(encoding="utf-8") == content, (
            f"{path.name} drifted from keel.protocol: run python -m keel.protocol.generate")


def test_committed_schema_reference_and_names_match_the_models():
    _assert_committed(generated_without_node())


def test_committed_typescript_matches_the_models():
    """Needs node_modules (json2ts); the generator says so when it is missing."""
    _assert_committed({TS_PATH: generated()[TS_PATH]})


def test_schema_lists_every_method_with_its_deadline():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    listed = {m["name"]: m for m in schema["x-keel-methods"]}
    assert set(listed) == set(METHODS)
    assert listed["keel/estimateCost"]["deadlineMs"] == 3000
    assert listed["keel/runWorkflow"]["deadlineMs"] == 300_000


def test_typescript_has_an_interface_per_result():
    ts = TS_PATH.read_text(encoding="utf-8")
    for spec in REQUESTS:
        assert f"export interface {spec.result.__name__} " in ts
        assert f"export interface {spec.params.__name__} " in ts


def test_params_forbid_unknown_fields_and_use_camel_case():
    from keel.protocol import RunWorkflowParams

    schema = RunWorkflowParams.model_json_schema(by_alias=True)
    assert schema["additionalProperties"] is False
    assert {"workflow", "target", "runId", "timeoutMs", "workDoneToken"} <= set(schema["properties"])


def test_method_names_for_the_fast_start_match_the_method_table_and_import_nothing():
    from keel.lsp import method_names
    from keel.protocol import methods

    assert list(method_names.KEEL_METHOD_NAMES) == list(METHODS)
    assert method_names.PROTOCOL_VERSION == methods.PROTOCOL_VERSION
    for name in ("HEALTH", "HEALTH_CHANGED", "RUN_WORKFLOW", "INITIALIZE", "EXIT", "CANCEL_REQUEST"):
        assert getattr(method_names, name) == getattr(methods, name)
    assert method_names.ANSWERS_DEADLINE_AS_DATA == {
        spec.name for spec in REQUESTS if spec.answers_deadline_as_data}
    tree = ast.parse(NAMES_PATH.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def test_the_extension_types_every_method_of_the_table_with_its_models():
    ts = LSP_EXT_PATH.read_text(encoding="utf-8")
    for spec in METHODS.values():
        assert f'("{spec.name}");' in ts
        assert f"<{spec.params.__name__}" in ts
    assert ts.count('("keel/') == len(METHODS)


def test_the_extension_error_codes_are_the_servers():
    from keel import errors

    assert CLIENT_ERROR_CODES == {"invalidParams": errors.JSONRPC_INVALID_PARAMS,
                                  "requestCancelled": errors.JSONRPC_REQUEST_CANCELLED,
                                  "superseded": errors.JSONRPC_SERVER_CANCELLED,
                                  "requestFailed": errors.JSONRPC_REQUEST_FAILED}


def _loaded_initialize_reply(params: dict) -> tuple[dict, Any]:  # noqa: ANN401
    """What the loaded server answers ``initialize`` with, and its protocol."""
    import json

    from keel.app.state import KeelApp
    from keel.lsp.server import build_server
    from keel.lsp.transport import deliver

    sent: list[bytes] = []

    class Capture:
        def write(self, data: bytes) -> None:
            sent.append(data)

        def close(self) -> None:
            pass

    app = KeelApp(worker_pool_size=1)
    server = build_server(app)
    server.protocol.set_writer(Capture())
    deliver(server.protocol, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                         "params": params}).encode())
    app.close()
    return json.loads(sent[0].split(b"\r\n\r\n", 1)[1]), server.protocol


INITIALIZE_PARAMS = {"processId": None, "rootUri": None, "initializationOptions": {},
                     "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]},
                                      "window": {"workDoneProgress": True},
                                      "workspace": {"workspaceFolders": True}}}


def test_the_fast_start_and_the_loaded_server_answer_initialize_from_one_dict(monkeypatch):
    """keel.lsp.early answers initialize before pygls loads; the loaded server answers the same."""
    from keel.lsp import capabilities
    from keel.lsp.early import initialize_result

    # A capability added to the one dict reaches both answers: there is no second copy.
    monkeypatch.setitem(capabilities.CAPABILITIES, "hoverProvider", True)
    reply, _ = _loaded_initialize_reply(INITIALIZE_PARAMS)
    assert reply["result"] == initialize_result()
    assert reply["result"]["capabilities"]["hoverProvider"] is True
    assert reply["result"]["capabilities"]["positionEncoding"] == "utf-16"  # findings use UTF-16 columns


def test_every_feature_the_loaded_server_registers_is_advertised():
    """pygls's own builder, from the registered features, must agree with the one dict."""
    from lsprotocol import types
    from pygls.capabilities import ServerCapabilitiesBuilder

    from keel.lsp.capabilities import CAPABILITIES

    _, protocol = _loaded_initialize_reply(INITIALIZE_PARAMS)
    server = protocol.owner
    fm = protocol.fm
    built = ServerCapabilitiesBuilder(
        protocol.client_capabilities, set({**fm.features, **fm.builtin_features}.keys()),
        fm.feature_options, list(fm.commands.keys()), server._text_document_sync_kind,
        server._notebook_document_sync, types.PositionEncodingKind.Utf16).build()
    expected = {k: v for k, v in CAPABILITIES.items() if k != "experimental"}
    assert {k: v for k, v in protocol._converter.unstructure(built).items() if k != "experimental"} == expected
