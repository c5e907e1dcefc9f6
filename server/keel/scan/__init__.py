"""Reading a target: which files a workflow reads and how many tokens they hold.

Shared by the cost estimate (``keel.cost``) and the run engine
(``keel.workflows.sources``), so both read the same files. It sits below both
and imports neither. Entry point: ``keel.scan.scanner.scan``; the
``.gitignore`` rules are in ``ignore.py``, the token heuristic in ``tokens.py``,
the stat-revalidated scan cache in ``cache.py``.
"""

from .cache import EstimateCache
from .results import ScanResult
from .scanner import scan
from .tokens import count_tokens

__all__ = ["EstimateCache", "ScanResult", "count_tokens", "scan"]
