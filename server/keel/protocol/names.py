"""The names of every keel/* method, without importing the models (the server's fast start
answers ``initialize`` with them before anything heavy is loaded). A contract test checks
that these equal the method table."""

PROTOCOL_VERSION = 1

KEEL_METHOD_NAMES: tuple[str, ...] = (
    "keel/health", "keel/preflight", "keel/listWorkflows", "keel/estimateCost",
    "keel/runWorkflow", "keel/cancelRun", "keel/analyze", "keel/generateFix",
    "keel/runs", "keel/report", "keel/validateModels", "keel/healthChanged", "keel/runEvent",
)
