"""A fault-injecting fake provider server for tests and resilience drills.

    async with ChaosServer(Schedule.failing(0.3, ["429", "529"], seed=7)) as chaos:
        client = anthropic.AsyncAnthropic(base_url=chaos.base_url, api_key="x", max_retries=0)

Run it on its own with ``keel chaos serve`` (or ``python -m keel chaos serve``).
"""

from .schedule import FAILURES, Fault, Schedule, SchedulePlayer, parse_faults
from .server import ChaosServer, Served

__all__ = ["FAILURES", "ChaosServer", "Fault", "Schedule", "SchedulePlayer", "Served",
           "parse_faults"]
