"""Preflight checks, the health monitor (components → level) and its coalesced notifier."""
