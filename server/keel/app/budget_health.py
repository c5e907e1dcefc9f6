"""The budget figures outside a run: the ``budget`` health component and ``budgetLeft``.

Light on purpose (the ledger and the pure figures only): the health refresh
runs at ``initialized``, before the run path may load.
"""

from __future__ import annotations

import structlog

from keel.errors import KeelError
from keel.protocol.budget import BudgetLeft
from keel.runtime.threads import in_thread
from keel.spend.figures import COMPONENT, component_status
from keel.spend.gate import budget_left
from keel.spend.ledger import Totals

from .services import spend_guard
from .state import KeelApp

log = structlog.get_logger(__name__)


def show_budget(app: KeelApp, totals: Totals) -> None:
    if not app.settings.budgets.limited():  # no budget, no component (as for a provider unset)
        if app.monitor.component(COMPONENT) is not None:
            app.monitor.remove(COMPONENT)
        return
    status, detail, fix = component_status(app.settings.budgets, totals)
    app.monitor.set(COMPONENT, status, detail, fix=fix)


async def refresh_budget(app: KeelApp) -> None:
    """Read the ledger and set the ``budget`` component (it changes as days and months turn);
    from now on each settlement and refusal updates it too."""
    guard = spend_guard(app)
    guard.on_totals = lambda totals: show_budget(app, totals)
    if not app.settings.budgets.limited():
        show_budget(app, Totals(0.0, 0.0, 0.0))  # nothing to show: the ledger is not opened
        return
    try:
        show_budget(app, await in_thread(guard.ledger().totals))
    except KeelError as error:  # the storage component reports the folder's trouble
        log.info("budget refresh skipped", code=error.code)


async def budget_of(app: KeelApp) -> BudgetLeft | None:
    """Spent and left per budget, for estimates and reports; None with no budget set."""
    limits = app.settings.budgets
    if not limits.limited():
        return None
    try:
        totals = await in_thread(spend_guard(app).ledger().totals)
    except KeelError as error:
        log.info("spend.totals_unavailable", code=error.code)
        return None
    show_budget(app, totals)
    return budget_left(limits, totals)
