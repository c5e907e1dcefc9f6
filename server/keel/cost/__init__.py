"""Cost estimates: pricing, calibration, the "nothing to read" rule and the estimate itself.

Entry point: ``keel.cost.estimate.estimate_cost``; see each module's docstring.
The scan and the token heuristic it builds on are in ``keel.scan``.
"""

from .calibration import Calibration
from .estimate import estimate_cost

__all__ = ["Calibration", "estimate_cost"]
