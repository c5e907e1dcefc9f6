"""The names of every keel/* method, without importing the models.

Generated from keel.protocol.methods by `python -m keel.protocol.generate`; do not edit.
The server's fast start (keel.lsp.early) answers ``initialize`` with them before anything
heavy loads; it lives outside keel.protocol, whose ``__init__`` loads every model.
"""

PROTOCOL_VERSION = 1

KEEL_METHOD_NAMES: tuple[str, ...] = (
    "keel/health",
    "keel/preflight",
    "keel/listWorkflows",
    "keel/estimateCost",
    "keel/runWorkflow",
    "keel/cancelRun",
    "keel/analyze",
    "keel/generateFix",
    "keel/runs",
    "keel/report",
    "keel/validateModels",
    "keel/runFindings",
    "keel/healthChanged",
    "keel/runEvent",
    "keel/authenticate",
)
