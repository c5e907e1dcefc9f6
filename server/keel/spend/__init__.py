"""Spending budgets: a ledger shared by every process, and a reservation around each model call.

``ledger.Ledger`` holds reservations and settled spend (``spend.db`` under the
storage folder); ``guard.SpendGuard`` reserves a call's worst case before it is
sent; ``gate`` decides, from an estimate, whether a run may start; ``figures``
turns the ledger into the figures health, estimates and reports show. Not to be
confused with ``keel.resilience.budget``, the retry budget.
"""
