"""Reliability figures a user can act on: metrics with targets, alerts over thresholds,
and the warnings that say when a report's numbers cannot be trusted.

Pure functions over counts that ``keel.storage`` reads; formulas, targets and
default thresholds are in docs/reliability.md.
"""
