"""pygls's private members are touched in one module, and pygls still has them as that module expects.

``keel.lsp.pygls_adapter`` relies on private methods and attributes of pygls (the range pinned in
pyproject). A pygls release that renames one, changes its signature or stops calling it the way
the adapter redirects it fails here, before a user sees replies go missing.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol
from pygls.server import JsonRPCServer

from keel.lsp import pygls_adapter
from keel.lsp.pygls_adapter import AdaptedProtocol

LSP = Path(pygls_adapter.__file__).parent
PYGLS_CLASSES = (JsonRPCProtocol, LanguageServerProtocol, LanguageServer, JsonRPCServer)


def _parameters(function) -> list[tuple[str, inspect._ParameterKind]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


def test_pygls_private_methods_keep_the_signatures_the_adapter_calls():
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert _parameters(JsonRPCProtocol._send_data) == [("self", positional), ("data", positional)]
    assert _parameters(JsonRPCProtocol._send_response) == [
        ("self", positional), ("msg_id", positional), ("result", positional), ("error", positional)]
    assert _parameters(JsonRPCProtocol._send_handler_result) == [
        ("self", positional), ("future", positional), ("msg_id", inspect.Parameter.KEYWORD_ONLY)]
    assert set(pygls_adapter.PRIVATE_METHODS) <= set(vars(JsonRPCProtocol))


def test_pygls_still_routes_every_reply_and_handler_outcome_through_the_redirected_hooks():
    # The adapter overrides these two: if pygls stops calling them, Keel's replies would bypass
    # KeelProtocol (no cap, no -32800 ErrorData, no fast-start suppression).
    assert "self._send_handler_result" in inspect.getsource(JsonRPCProtocol._handle_request)
    assert "self._send_response" in inspect.getsource(JsonRPCProtocol._send_handler_result)


def test_pygls_protocol_has_the_private_attributes_the_adapter_reads():
    server = LanguageServer("keel-test", "0", protocol_cls=AdaptedProtocol)
    protocol = server.protocol
    assert isinstance(protocol, AdaptedProtocol)
    assert set(pygls_adapter.PRIVATE_ATTRIBUTES) <= set(vars(protocol))
    assert isinstance(protocol._request_futures, dict)
    assert protocol.owner is server and protocol.shutting_down is False
    assert list(protocol.pending_requests()) == []


def test_send_raw_writes_the_message_as_it_is_and_respond_answers_a_request(captured_protocol):
    protocol, written = captured_protocol
    protocol.send_raw({"jsonrpc": "2.0", "id": 7, "error": {"code": -32700, "message": "x"}})
    protocol.respond(8, result={"ok": True})
    assert b'"id": 7' in written[0] and b'"code": -32700' in written[0]
    assert b'"id": 8' in written[1] and b'"ok": true' in written[1]


def _pygls_private_names() -> set[str]:
    server = LanguageServer("keel-test", "0")
    names: set[str] = set()
    for owner in (*PYGLS_CLASSES, server, server.protocol):
        names |= {n for n in (*dir(owner), *getattr(owner, "__dict__", {}))
                  if n.startswith("_") and not n.startswith("__")}
    return names


def _uses(path: Path, private: set[str]) -> list[str]:
    """Where ``path`` reads a pygls private member or overrides one in a pygls subclass."""
    module = importlib.import_module(f"keel.lsp.{path.stem}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, in_pygls_class: bool) -> None:
        if isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name, None)
            in_pygls_class = isinstance(cls, type) and issubclass(cls, PYGLS_CLASSES)
        elif isinstance(node, ast.FunctionDef) and in_pygls_class and node.name in private:
            found.append(f"{path.name}:{node.lineno} defines {node.name}")
        elif isinstance(node, ast.Attribute) and node.attr in private:
            on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
            if in_pygls_class or not on_self:  # our own classes may name their fields alike
                found.append(f"{path.name}:{node.lineno} reads {node.attr}")
        for child in ast.iter_child_nodes(node):
            visit(child, in_pygls_class)

    visit(tree, False)
    return found


def test_no_module_but_the_adapter_touches_a_pygls_private_member():
    private = _pygls_private_names()
    found = [use for path in sorted(LSP.glob("*.py")) if path.name != "pygls_adapter.py"
             for use in _uses(path, private)]
    assert found == []
