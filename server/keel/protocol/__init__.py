"""THE CONTRACT: pydantic models of every param, result and notification.

Imports nothing else from keel (a contract test checks it).
"""

from .advisor import *  # noqa: F403
from .base import *  # noqa: F403
from .cost import *  # noqa: F403
from .health import *  # noqa: F403
from .history import *  # noqa: F403
from .methods import METHODS, NOTIFICATIONS, PROTOCOL_VERSION, REQUESTS, MethodSpec, method_names
from .reliability import *  # noqa: F403
from .session import *  # noqa: F403
from .settings import *  # noqa: F403
from .workflows import *  # noqa: F403

