"""The names of every keel/* method and the traits the fast start needs, importing nothing.

Generated from keel.protocol.methods by `python -m keel.protocol.generate`; do not edit.
The server's fast start (keel.lsp.early) answers ``initialize`` with them before anything
heavy loads; it lives outside keel.protocol, whose ``__init__`` loads every model.
"""

PROTOCOL_VERSION = 1

HEALTH = "keel/health"
PREFLIGHT = "keel/preflight"
LIST_WORKFLOWS = "keel/listWorkflows"
ESTIMATE_COST = "keel/estimateCost"
RUN_WORKFLOW = "keel/runWorkflow"
CANCEL_RUN = "keel/cancelRun"
ANALYZE = "keel/analyze"
GENERATE_FIX = "keel/generateFix"
RUNS = "keel/runs"
REPORT = "keel/report"
VALIDATE_MODELS = "keel/validateModels"
RUN_FINDINGS = "keel/runFindings"
HEALTH_CHANGED = "keel/healthChanged"
RUN_EVENT = "keel/runEvent"
AUTHENTICATE = "keel/authenticate"

# The base-protocol methods that the fast start and keel.rpc_client send or answer themselves.
INITIALIZE = "initialize"
INITIALIZED = "initialized"
SHUTDOWN = "shutdown"
EXIT = "exit"
CANCEL_REQUEST = "$/cancelRequest"

KEEL_METHOD_NAMES: tuple[str, ...] = (
    HEALTH,
    PREFLIGHT,
    LIST_WORKFLOWS,
    ESTIMATE_COST,
    RUN_WORKFLOW,
    CANCEL_RUN,
    ANALYZE,
    GENERATE_FIX,
    RUNS,
    REPORT,
    VALIDATE_MODELS,
    RUN_FINDINGS,
    HEALTH_CHANGED,
    RUN_EVENT,
    AUTHENTICATE,
)

# Requests that answer their own deadline as data: the fast start leaves their deadline alone.
ANSWERS_DEADLINE_AS_DATA: frozenset[str] = frozenset({RUN_WORKFLOW})
