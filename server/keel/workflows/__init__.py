"""Workflows: definitions (single source for run AND estimate), planning, the stage engine."""
