"""Cost estimates: token counting, the scan of a target, the estimate cache, calibration.

Entry point: ``keel.cost.estimate.estimate_cost``; see each module's docstring.
"""

from .cache import EstimateCache
from .calibration import Calibration
from .estimate import estimate_cost
from .scan import ScanResult, scan
from .tokens import count_tokens

__all__ = ["Calibration", "EstimateCache", "ScanResult", "count_tokens", "estimate_cost", "scan"]
