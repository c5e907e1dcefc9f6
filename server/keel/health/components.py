"""The components every health report has from the start (standard library only).

Both the health monitor and the fast start's "starting" report
(``keel.lsp.early_health``) list them; the fast start loads nothing heavy, so they
live here rather than in ``monitor.py``.
"""

CORE_COMPONENTS = ("config", "storage", "analysis")
