"""What the server answers ``initialize`` with: one dict, for the fast start and the loaded server.

The fast start (``early.py``) sends it before pygls is loaded; the loaded server's
``KeelProtocol.lsp_initialize`` answers with the same dict, structured as lsprotocol's
``ServerCapabilities``. So the standard library and ``method_names.py`` only.
``tests/contract/test_generated.py`` checks that every feature the loaded server
registers is advertised here (pygls's own builder, from those features, agrees).
"""

from __future__ import annotations

from typing import Any

from keel import __version__

from .method_names import KEEL_METHOD_NAMES, PROTOCOL_VERSION

CAPABILITIES: dict[str, Any] = {
    # Findings carry UTF-16 columns (the LSP default): never negotiate another encoding.
    "positionEncoding": "utf-16",
    "textDocumentSync": {"openClose": True, "change": 2, "save": True},
    "codeActionProvider": {"codeActionKinds": ["quickfix", "source.fixAll.keel"]},
    "executeCommandProvider": {"commands": []},
    "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True},
                  "fileOperations": {}},
    "experimental": {"keel": {"version": PROTOCOL_VERSION, "methods": list(KEEL_METHOD_NAMES)}},
}
SERVER_INFO: dict[str, str] = {"name": "keel", "version": __version__}


def initialize_result() -> dict[str, Any]:
    return {"capabilities": CAPABILITIES, "serverInfo": SERVER_INFO}
